"""kb_entries: the street's knowledge base; kb_questions: what residents asked that it could not answer
(masked, grouped); consultations: one row per question asked, for the figures. New tables only: old data
reads as before.

Revision ID: 0020_kb
Revises: 0017_join
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0020_kb"
down_revision = "0017_join"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "kb_entries",
        sa.Column("faq_id", sa.String(16), primary_key=True),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("department", sa.String(32)),
        sa.Column("keywords", sa.JSON, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("updated_by", sa.String(160)),
    )
    op.create_table(
        "kb_questions",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("first_asked_at", UTCDateTime, nullable=False),
        sa.Column("last_asked_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_kb_questions_last", "kb_questions", ["last_asked_at"])
    op.create_table(
        "consultations",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("outcome", sa.String(24), nullable=False),
        sa.Column("faq_id", sa.String(16)),
    )
    op.create_index("ix_consultations_at", "consultations", ["at"])


def downgrade() -> None:
    op.drop_index("ix_consultations_at", table_name="consultations")
    op.drop_table("consultations")
    op.drop_index("ix_kb_questions_last", table_name="kb_questions")
    op.drop_table("kb_questions")
    op.drop_table("kb_entries")
