"""Pushes that reach staff on real platforms: which inbound rows open WeChat's 48-hour window (events that
do not, such as LOCATION or TEMPLATESENDJOBFINISH, no longer move it), until when a push cut off mid-call may
be sent again (template messages carry a client_msg_id), and the platforms whose queue is paused by an
account-wide error.

Revision ID: 0018_push
Revises: 0017_join
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0018_push"
down_revision = "0017_join"
branch_labels = None
depends_on = None

# The events that opened WeChat's window when this revision was written (storage/inbound.py WINDOW_EVENTS then):
# a migration reads the rule as it was, so a later change to the live list cannot rewrite what this one did.
WINDOW_EVENTS = frozenset({"subscribe", "scan", "click", "scancode_push", "scancode_waitmsg"})


def upgrade() -> None:
    with op.batch_alter_table("inbound_messages") as batch:
        batch.add_column(sa.Column("opens_window", sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("resend_until", UTCDateTime))
    op.create_table(
        "platform_pauses",
        sa.Column("platform", sa.String(16), primary_key=True),
        sa.Column("error_code", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("since", UTCDateTime, nullable=False),
        sa.Column("next_try_at", UTCDateTime, nullable=False),
    )
    _mark_events()


def _mark_events() -> None:
    """Old events: only those WeChat counts keep opening the window (a cleared log row's event is unknown,
    so it no longer does)."""
    log = sa.table("inbound_messages", sa.column("id", sa.BigInteger()), sa.column("kind", sa.String()),
                   sa.column("content", sa.JSON()), sa.column("opens_window", sa.Boolean()))
    conn = op.get_bind()
    closed = [row.id for row in conn.execute(sa.select(log.c.id, log.c.content).where(log.c.kind == "event"))
              if str((row.content or {}).get("event") or "").lower() not in WINDOW_EVENTS]
    for start in range(0, len(closed), 500):
        conn.execute(sa.update(log).where(log.c.id.in_(closed[start:start + 500])).values(opens_window=False))


def downgrade() -> None:
    op.drop_table("platform_pauses")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("resend_until")
    with op.batch_alter_table("inbound_messages") as batch:
        batch.drop_column("opens_window")
