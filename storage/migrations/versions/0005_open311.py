"""open311: channels with hashed API keys, their reports, residents' verified phone numbers

Revision ID: 0005_open311
Revises: 0004
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0005_open311"
down_revision = "0004"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "channels",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(32), nullable=False, unique=True),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("key_hint", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("revoked_at", UTCDateTime),
    )
    op.create_table(
        "channel_reports",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("channel_id", BigId, nullable=False),
        sa.Column("case_id", BigId, nullable=False),
        sa.Column("token", sa.String(48), nullable=False, unique=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("service_code", sa.String(32)),
        sa.Column("address", sa.Text),
        sa.Column("attributes", sa.JSON, nullable=False),
        sa.Column("contact", sa.JSON, nullable=False),
        sa.Column("contact_phone", sa.String(32)),
        sa.Column("received_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_channel_reports_case", "channel_reports", ["case_id"])
    op.create_index("ix_channel_reports_phone", "channel_reports", ["contact_phone"])
    op.create_table(
        "phone_bindings",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("verified_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("platform", "user_id", name="uq_phone_binding"),
    )
    op.create_index("ix_phone_bindings_phone", "phone_bindings", ["phone"])
    op.create_table(
        "phone_codes",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("used_at", UTCDateTime),
    )
    op.create_index("ix_phone_codes_user", "phone_codes", ["platform", "user_id", "id"])
    # cases by the phone number left with them (a verified phone sees its hotline cases), and by channel
    op.create_index("ix_cases_contact_phone", "cases", ["contact_phone"])
    op.create_index("ix_cases_channel", "cases", ["channel", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_cases_channel", "cases")
    op.drop_index("ix_cases_contact_phone", "cases")
    op.drop_table("phone_codes")
    op.drop_table("phone_bindings")
    op.drop_table("channel_reports")
    op.drop_table("channels")
