"""Web surfaces: the dashboard, Open311, the charging API, metrics and the sandbox's web chat."""
