"""Join the branches made side by side: outbound pushes (0018), knowledge base (0020), human takeover (0021)
and residents' pages (0022). No schema change of its own.

Revision ID: 0023_join
Revises: 0018_push, 0020_kb, 0021_takeover, 0022_h5
"""
from __future__ import annotations

revision = "0023_join"
down_revision = ("0018_push", "0020_kb", "0021_takeover", "0022_h5")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
