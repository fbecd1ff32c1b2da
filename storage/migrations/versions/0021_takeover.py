"""A person when the bot cannot help: the duty roster, takeovers (a resident talking to a staff member
through the bot), and cases.kind (report | consultation, for call-back cases; existing cases are reports).

Revision ID: 0021_takeover
Revises: 0017_join
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0021_takeover"
down_revision = "0017_join"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "duty_roster",
        sa.Column("staff_id", sa.String(16), primary_key=True),
        sa.Column("since", UTCDateTime, nullable=False),
    )
    op.create_table(
        "takeovers",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_at", UTCDateTime, nullable=False),
        sa.Column("staff_id", sa.String(16)),
        sa.Column("staff_platform", sa.String(16)),
        sa.Column("staff_user_id", sa.String(128)),
        sa.Column("taken_at", UTCDateTime),
        sa.Column("last_at", UTCDateTime, nullable=False),
        sa.Column("ended_at", UTCDateTime),
        sa.Column("ended_by", sa.String(16)),
        sa.Column("case_id", BigId),
    )
    op.create_index("ix_takeovers_resident", "takeovers", ["platform", "user_id", "status"])
    op.create_index("ix_takeovers_staff", "takeovers", ["staff_platform", "staff_user_id", "status"])
    op.create_index("ix_takeovers_requested", "takeovers", ["requested_at"])
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="report"))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("kind")
    op.drop_index("ix_takeovers_requested", table_name="takeovers")
    op.drop_index("ix_takeovers_staff", table_name="takeovers")
    op.drop_index("ix_takeovers_resident", table_name="takeovers")
    op.drop_table("takeovers")
    op.drop_table("duty_roster")
