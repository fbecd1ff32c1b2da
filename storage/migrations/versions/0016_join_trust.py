"""Joins the lifecycle, replay-nonce, privacy and web-security revisions, which grew side by side from
0009_sending, into one head. No schema change of its own.

Revision ID: 0016_join_trust
Revises: 0010_lifecycle, 0011_replay_nonces, 0012_privacy, 0013_web_security
Create Date: 2026-12-02
"""
revision = "0016_join_trust"
down_revision = ("0010_lifecycle", "0011_replay_nonces", "0012_privacy", "0013_web_security")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
