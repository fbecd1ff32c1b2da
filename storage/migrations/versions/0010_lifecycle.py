"""The case lifecycle as one table (backend/lifecycle.py): `reassigned` is a trace event, not a status.

The old code wrote `reassigned` as a status only for the instant before dispatching the case again in
the same transaction, so a stored `reassigned` can only come from data written around that code (imports,
hand edits); it reads as what it meant: dispatched to the new department, waiting for acceptance. Its
trace (reassigned, then dispatched events) already reads the same in the new table. `reopened` stays a
status and needs nothing.

Revision ID: 0010_lifecycle
Revises: 0009_sending
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_lifecycle"
down_revision = "0009_sending"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.text("UPDATE cases SET status = 'dispatched' WHERE status = 'reassigned'"))


def downgrade() -> None:
    pass  # `dispatched` is a status the old code reads as it is
