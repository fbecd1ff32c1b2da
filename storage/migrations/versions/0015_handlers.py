"""staff_bind_failures: wrong binding codes per sender, so `绑定` allows 5 wrong tries an hour;
cases.spot: where exactly in the place the resident said it is ("南门小广场"), empty for older cases

Revision ID: 0015_handlers
Revises: 0009_sending
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0015_handlers"
down_revision = "0009_sending"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "staff_bind_failures",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_staff_bind_failures_sender", "staff_bind_failures", ["platform", "user_id", "at"])
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("spot", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("spot")
    op.drop_index("ix_staff_bind_failures_sender", table_name="staff_bind_failures")
    op.drop_table("staff_bind_failures")
