"""resident_preferences: what a resident chose on the residents' web pages (the large-text switch), per
platform identity. No other table changes; a resident without a row reads as the defaults.

Revision ID: 0022_h5
Revises: 0017_join
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0022_h5"
down_revision = "0017_join"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resident_preferences",
        sa.Column("platform", sa.String(16), primary_key=True),
        sa.Column("user_id", sa.String(128), primary_key=True),
        sa.Column("large_text", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("resident_preferences")
