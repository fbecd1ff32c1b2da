"""delivery: shared access tokens, the jobs table, outbox lease owner / channel / error code

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "access_tokens",
        sa.Column("name", sa.String(96), primary_key=True),
        sa.Column("token", sa.Text),
        sa.Column("expires_at", UTCDateTime),
        sa.Column("refreshed_at", UTCDateTime),
        sa.Column("lease_owner", sa.String(96)),
        sa.Column("lease_until", UTCDateTime),
        sa.Column("fetches", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "jobs",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("key", sa.String(160), unique=True),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("due_at", UTCDateTime, nullable=False),
        sa.Column("every_s", sa.Integer),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("lease_owner", sa.String(96)),
        sa.Column("lease_until", UTCDateTime),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime),
    )
    op.create_index("ix_jobs_due", "jobs", ["status", "due_at"])
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("lease_owner", sa.String(96)))
        batch.add_column(sa.Column("channel", sa.String(16)))
        batch.add_column(sa.Column("error_code", sa.String(32)))
    op.create_index("ix_outbox_recipient", "outbox", ["platform", "user_id", "status", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_recipient", "outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("error_code")
        batch.drop_column("channel")
        batch.drop_column("lease_owner")
    op.drop_index("ix_jobs_due", "jobs")
    op.drop_table("jobs")
    op.drop_table("access_tokens")
