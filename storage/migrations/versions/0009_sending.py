"""outbox.sending_at: a push whose API call had begun when its process died is not sent again blindly;
also joins the feature branches that grew from 0004 into one head

Revision ID: 0009_sending
Revises: 0005_charging, 0005_open311, 0006_surveys, 0007_dashboard, 0008_media
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0009_sending"
down_revision = ("0005_charging", "0005_open311", "0006_surveys", "0007_dashboard", "0008_media")
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("sending_at", UTCDateTime))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("sending_at")
