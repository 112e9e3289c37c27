"""Agents: a user may be an agent acting through the tool surface (docs/agents.md) on behalf of a person.
``users.kind`` is ``person`` (every user before this revision) or ``agent``; ``users.on_behalf_of`` is an
agent's principal (the id of a person holding a coordinator role), NULL for a person.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("kind", sa.String(), nullable=False, server_default="person"))
        batch.add_column(sa.Column("on_behalf_of", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("on_behalf_of")
        batch.drop_column("kind")
