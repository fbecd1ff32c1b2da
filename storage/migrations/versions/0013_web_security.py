"""charging_feeds.stations (a feed writes only its own stations) and login_throttle (failed dashboard
logins per account and per client address)

Feeds made before this revision have no stations: they are refused until `charging token --feed NAME
--stations ...` names theirs, since a token that may write every station is what this closes.

Revision ID: 0013_web_security
Revises: 0009_sending
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0013_web_security"
down_revision = "0009_sending"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("charging_feeds") as batch:
        batch.add_column(sa.Column("stations", sa.JSON, nullable=True))
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(160), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
        sa.Column("first_failed_at", UTCDateTime, nullable=False),
        sa.Column("locked_until", UTCDateTime, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("login_throttle")
    with op.batch_alter_table("charging_feeds") as batch:
        batch.drop_column("stations")
