"""The domain: cases, routing, SLA clocks, surveys, charging, analytics. Never calls WeChat."""
