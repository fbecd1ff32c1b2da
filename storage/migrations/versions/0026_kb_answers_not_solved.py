"""kb_questions.answered_with: a question the knowledge base answered and the resident said the answer did not
solve (没解决, 人工 as the next message) joins the questions the street looks at, with the entry that answered
it. Questions kept before were all unanswered: they start with none.

Revision ID: 0026_kb_answers_not_solved
Revises: 0025_kb_phrasings
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0026_kb_answers_not_solved"
down_revision = "0025_kb_phrasings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kb_questions") as batch:
        batch.add_column(sa.Column("answered_with", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("kb_questions") as batch:
        batch.drop_column("answered_with")
