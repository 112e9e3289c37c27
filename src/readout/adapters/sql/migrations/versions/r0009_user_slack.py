"""Users may be linked to a Slack user (the users file's ``slack:`` field): a click in the leadership channel
acts as the linked Readout user, under their roles. ``users.slack`` is the Slack user id (``U012ABCDEF``),
NULL when not linked, indexed because every interaction looks its clicker up by it.

``slack_requests`` remembers the signature of each Slack interaction request taken, so that a replayed one is
refused (adapters/slack/signature.py); rows are deleted once their timestamp could no longer be accepted.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("slack", sa.String(), nullable=True))
    op.create_index("ix_users_slack", "users", ["slack"])
    op.create_table(
        "slack_requests",
        sa.Column("signature", sa.String(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("signature", name="pk_slack_requests"),
    )
    op.create_index("ix_slack_requests_seen_at", "slack_requests", ["seen_at"])


def downgrade() -> None:
    op.drop_table("slack_requests")
    op.drop_index("ix_users_slack", table_name="users")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("slack")
