"""Effects (the outbox): calendar writes and invitations recorded with the decision, carried out afterwards.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _instant() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "effects",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("escalation_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", _instant(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", _instant()),
        sa.Column("lease_until", _instant()),
        sa.Column("last_error", sa.Text()),
        sa.Column("done_at", _instant()),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_effects"),
        sa.UniqueConstraint("key", name="uq_effects_key"),
    )
    op.create_index("ix_effects_escalation_id", "effects", ["escalation_id"])
    op.create_index("ix_effects_status_next_at", "effects", ["status", "next_at"])


def downgrade() -> None:
    op.drop_table("effects")
