"""Personal-information duties: the audit log of deliberate looks at personal data, and a mark on the
message logs (inbound and outbox) whose contents were cleared by retention or by a resident's erasure

Revision ID: 0012_privacy
Revises: 0009_sending
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0012_privacy"
down_revision = "0009_sending"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("actor", sa.String(160), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("case_id", BigId),
        sa.Column("case_number", sa.String(16)),
        sa.Column("via", sa.String(32)),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_case", "audit_log", ["case_id"])
    for table in ("inbound_messages", "outbox"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("cleared_at", UTCDateTime))


def downgrade() -> None:
    for table in ("inbound_messages", "outbox"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("cleared_at")
    op.drop_index("ix_audit_log_case", "audit_log")
    op.drop_index("ix_audit_log_at", "audit_log")
    op.drop_table("audit_log")
