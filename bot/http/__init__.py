"""HTTP APIs besides the messaging webhooks: charging ingest and state (charging.py), Open311 (open311.py)."""
