"""resident_sessions: the residents' page logins kept on the server (a random token in the cookie, its
sha256 here), so erasing a resident's data or a logout ends them at once. No other table changes; sessions
signed into cookies before this revision are no longer read, and residents log in again through WeChat.

Revision ID: 0024_resident_sessions
Revises: 0023_join
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0024_resident_sessions"
down_revision = "0023_join"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resident_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("nonce", sa.String(32), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_resident_sessions_user", "resident_sessions", ["platform", "user_id"])


def downgrade() -> None:
    op.drop_index("ix_resident_sessions_user", "resident_sessions")
    op.drop_table("resident_sessions")
