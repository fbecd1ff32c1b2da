"""Joins the places and staff-binding revisions with the rest into one head. No schema change of its own.

Revision ID: 0017_join
Revises: 0014_places, 0015_handlers, 0016_join_trust
Create Date: 2026-12-02
"""
revision = "0017_join"
down_revision = ("0014_places", "0015_handlers", "0016_join_trust")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
