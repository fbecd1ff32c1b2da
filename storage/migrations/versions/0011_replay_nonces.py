"""replay_nonces: each webhook (timestamp, nonce) accepted within the replay window, shared by every
server process, so a leaked signed query string cannot carry another body

Revision ID: 0011_replay_nonces
Revises: 0009_sending
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0011_replay_nonces"
down_revision = "0009_sending"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "replay_nonces",
        sa.Column("platform", sa.String(16), primary_key=True),
        sa.Column("timestamp", sa.String(16), primary_key=True),
        sa.Column("nonce", sa.String(64), primary_key=True),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_replay_nonces_expires", "replay_nonces", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_replay_nonces_expires", table_name="replay_nonces")
    op.drop_table("replay_nonces")
