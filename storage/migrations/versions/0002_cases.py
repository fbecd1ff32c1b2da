"""cases, their trace, media and followers; daily case numbers; conversation state

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("number", sa.String(16), nullable=False, unique=True),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("compound_id", sa.String(16)),
        sa.Column("building", sa.String(32)),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("occurred", sa.String(64)),
        sa.Column("lat", sa.Float),
        sa.Column("lng", sa.Float),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("urgent", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("reporter_platform", sa.String(16)),
        sa.Column("reporter_id", sa.String(128)),
        sa.Column("contact_phone", sa.String(32)),
        sa.Column("anonymous", sa.Boolean, nullable=False),
        sa.Column("dept_id", sa.String(32)),
        sa.Column("officer_id", sa.String(16)),
        sa.Column("repeat_reports", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("resolved_at", UTCDateTime),
        sa.Column("closed_at", UTCDateTime),
    )
    op.create_index("ix_cases_dup", "cases", ["compound_id", "category", "status", "created_at"])
    op.create_index("ix_cases_reporter", "cases", ["reporter_platform", "reporter_id"])
    op.create_index("ix_cases_status", "cases", ["status"])
    op.create_table(
        "case_events",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("case_id", BigId, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("actor", sa.String(160), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("data", sa.JSON),
    )
    op.create_index("ix_case_events_case", "case_events", ["case_id", "id"])
    op.create_table(
        "case_media",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("case_id", BigId, nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("media_id", sa.String(256)),
        sa.Column("url", sa.Text),
        sa.Column("added_by", sa.String(160), nullable=False),
        sa.Column("added_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "case_followers",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("case_id", BigId, nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("since", UTCDateTime, nullable=False),
        sa.UniqueConstraint("case_id", "platform", "user_id", name="uq_case_follower"),
    )
    op.create_index("ix_case_followers_user", "case_followers", ["platform", "user_id"])
    op.create_table(
        "case_number_days",
        sa.Column("day", sa.String(8), primary_key=True),
        sa.Column("last", sa.Integer, nullable=False),
    )
    op.create_table(
        "conversations",
        sa.Column("platform", sa.String(16), primary_key=True),
        sa.Column("user_id", sa.String(128), primary_key=True),
        sa.Column("state", sa.String(48), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    for table in ("conversations", "case_number_days", "case_followers", "case_media", "case_events", "cases"):
        op.drop_table(table)
