"""surveys: satisfaction questions per resolved case and per community campaign

Revision ID: 0006_surveys
Revises: 0004
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0006_surveys"
down_revision = "0004"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "surveys",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("case_id", BigId),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("campaign_id", BigId, index=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("rating", sa.String(16)),
        sa.Column("comment", sa.Text),
        sa.Column("sent_at", UTCDateTime, nullable=False),
        sa.Column("reminded_at", UTCDateTime),
        sa.Column("answered_at", UTCDateTime),
        sa.UniqueConstraint("case_id", "round", "platform", "user_id", name="uq_survey_case_round_user"),
    )
    op.create_index("ix_surveys_user", "surveys", ["platform", "user_id", "status"])
    op.create_table(
        "survey_campaigns",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("community", sa.String(64), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("every_s", sa.Integer),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("survey_campaigns")
    op.drop_table("surveys")
