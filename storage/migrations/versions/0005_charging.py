"""charging: feeds (hashed tokens), live spot and station state, free-spot alerts

Revision ID: 0005_charging
Revises: 0004
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0005_charging"
down_revision = "0004"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "charging_feeds",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "charging_spots",
        sa.Column("station_id", sa.String(16), primary_key=True),
        sa.Column("spot", sa.String(32), primary_key=True),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("reported_at", UTCDateTime, nullable=False),
        sa.Column("received_at", UTCDateTime, nullable=False),
        sa.Column("feed", sa.String(64), nullable=False),
    )
    op.create_table(
        "charging_live",
        sa.Column("station_id", sa.String(16), primary_key=True),
        sa.Column("free", sa.Integer, nullable=False),
        sa.Column("occupied", sa.Integer, nullable=False),
        sa.Column("fault", sa.Integer, nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("reported_at", UTCDateTime, nullable=False),
        sa.Column("received_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "charging_alerts",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("station_id", sa.String(16)),
        sa.Column("lat", sa.Float),
        sa.Column("lng", sa.Float),
        sa.Column("radius_m", sa.Integer),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("ended_at", UTCDateTime),
        sa.Column("fired_station", sa.String(16)),
    )
    op.create_index("ix_charging_alerts_active", "charging_alerts", ["status", "expires_at"])
    op.create_index("ix_charging_alerts_user", "charging_alerts", ["platform", "user_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_charging_alerts_user", "charging_alerts")
    op.drop_index("ix_charging_alerts_active", "charging_alerts")
    op.drop_table("charging_alerts")
    op.drop_table("charging_live")
    op.drop_table("charging_spots")
    op.drop_table("charging_feeds")
