"""places beyond compounds: roads, intersections, squares, markets, parks, schools… share the compounds
table (kind, the compound cell that patrols them, an intersection's roads, an address); a case keeps the
resident's own words for a place nobody could match (cases.place_text). Old rows read as compounds.

Revision ID: 0014_places
Revises: 0009_sending
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0014_places"
down_revision = "0009_sending"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("compounds") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="compound"))
        batch.add_column(sa.Column("grid", sa.String(16)))
        batch.add_column(sa.Column("roads", sa.JSON))
        batch.add_column(sa.Column("address", sa.String(64)))
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("place_text", sa.String(128)))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("place_text")
    with op.batch_alter_table("compounds") as batch:
        for column in ("address", "roads", "grid", "kind"):
            batch.drop_column(column)
