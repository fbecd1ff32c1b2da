"""Persistence: SQLAlchemy models, the engine and its sessions, Alembic migrations."""
from storage.db import Database, normalize_url
from storage.models import Base

__all__ = ["Database", "normalize_url", "Base"]
