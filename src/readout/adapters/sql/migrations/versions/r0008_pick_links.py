"""The customer's pick links: a signed, expiring, revocable link to a public page where the customer picks
one of the held options.

No token is stored in clear: ``pick_links.token_hash`` is the SHA-256 of the token in the link's URL (unique,
so a presented token is found by its digest). ``note`` is the customer's note (bounded by the service).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _instant() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "pick_links",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("escalation_id", sa.String(), nullable=False),
        sa.Column("token_hash", sa.String(), nullable=False),
        sa.Column("created_at", _instant(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("expires_at", _instant(), nullable=False),
        sa.Column("revoked_at", _instant()),
        sa.Column("revoked_by", sa.String()),
        sa.Column("answered_at", _instant()),
        sa.Column("answer", sa.String()),
        sa.Column("picked_start", _instant()),
        sa.Column("picked_end", _instant()),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pick_links"),
        sa.UniqueConstraint("token_hash", name="uq_pick_links_token_hash"),
    )
    op.create_index("ix_pick_links_escalation_id", "pick_links", ["escalation_id"])


def downgrade() -> None:
    op.drop_table("pick_links")
