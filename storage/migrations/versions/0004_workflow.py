"""workflow: the 1315 clock on cases, staff bindings and invites, co-handling departments

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        for name in ("dispatched_at", "accepted_at", "departed_at", "arrived_at"):
            batch.add_column(sa.Column(name, UTCDateTime, nullable=True))
        batch.add_column(sa.Column("sla", sa.JSON, nullable=True))
        batch.add_column(sa.Column("joint_verification", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("dispatch_round", sa.Integer, nullable=False, server_default="0"))
    op.create_index("ix_cases_officer", "cases", ["officer_id", "status"])
    op.create_table(
        "staff_bindings",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("staff_id", sa.String(16), nullable=False, index=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("bound_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("platform", "user_id", name="uq_staff_binding"),
    )
    op.create_table(
        "staff_invites",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("staff_id", sa.String(16), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("used_at", UTCDateTime),
    )
    op.create_table(
        "case_cohandlers",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("case_id", BigId, nullable=False, index=True),
        sa.Column("dept_id", sa.String(32), nullable=False),
        sa.Column("added_at", UTCDateTime, nullable=False),
        sa.Column("added_by", sa.String(160), nullable=False),
        sa.Column("verified_at", UTCDateTime),
        sa.Column("verified_by", sa.String(160)),
        sa.Column("opinion", sa.Text),
        sa.UniqueConstraint("case_id", "dept_id", name="uq_case_cohandler"),
    )


def downgrade() -> None:
    op.drop_table("case_cohandlers")
    op.drop_table("staff_invites")
    op.drop_table("staff_bindings")
    op.drop_index("ix_cases_officer", "cases")
    with op.batch_alter_table("cases") as batch:
        for name in ("dispatch_round", "joint_verification", "sla", "arrived_at", "departed_at", "accepted_at",
                     "dispatched_at"):
            batch.drop_column(name)
