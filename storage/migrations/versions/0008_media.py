"""media: keep residents' photos before WeChat's 3-day expiry (where stored, how fetching went)

Revision ID: 0008_media
Revises: 0004
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0008_media"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_media") as batch:
        batch.add_column(sa.Column("platform", sa.String(16)))
        batch.add_column(sa.Column("stored_path", sa.Text))
        batch.add_column(sa.Column("fetch_attempts", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("fetch_after", UTCDateTime))
        batch.add_column(sa.Column("fetch_error", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("case_media") as batch:
        for name in ("fetch_error", "fetch_after", "fetch_attempts", "stored_path", "platform"):
            batch.drop_column(name)
