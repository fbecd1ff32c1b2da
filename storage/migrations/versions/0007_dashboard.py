"""dashboard: staff passwords and login sessions for /dashboard; an index for counting events by kind

Revision ID: 0007_dashboard
Revises: 0004
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0007_dashboard"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_passwords",
        sa.Column("staff_id", sa.String(16), primary_key=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("set_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "dashboard_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("staff_id", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("last_seen_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_dashboard_sessions_staff", "dashboard_sessions", ["staff_id"])
    # analytics: reopen rate, SLA breaches (backend/analytics.py) look events up by kind and case
    op.create_index("ix_case_events_kind", "case_events", ["kind", "case_id"])


def downgrade() -> None:
    op.drop_index("ix_case_events_kind", table_name="case_events")
    op.drop_table("dashboard_sessions")
    op.drop_table("staff_passwords")
