"""The outside world: WeChat webhook and API client, sandbox, HTTP APIs, background loops."""
