"""HTTP APIs besides the messaging webhooks: charging ingest (charging.py), and later Open311 and the dashboard."""
