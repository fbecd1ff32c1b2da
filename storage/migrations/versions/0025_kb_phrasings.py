"""kb_entries.phrasings: residents' own ways of asking an entry's question, attached by a supervisor from the
questions the knowledge base could not answer; they find the entry as its question does. Existing entries
start with none.

Revision ID: 0025_kb_phrasings
Revises: 0024_resident_sessions
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0025_kb_phrasings"
down_revision = "0024_resident_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kb_entries") as batch:
        batch.add_column(sa.Column("phrasings", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table("kb_entries") as batch:
        batch.drop_column("phrasings")
