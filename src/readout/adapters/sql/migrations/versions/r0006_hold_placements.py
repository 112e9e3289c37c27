"""A hold may sit on several calendars: each internal role holder's Readout may write to.

One row per escalation and slot stays (so the unique index ``uq_holds_one_live_per_slot`` still allows one
live hold per slot); ``placements`` lists its calendars as JSON, ``[{"calendar", "person", "zone", "uid",
"ref"}]``. Rows from before this revision have none: their one calendar is ``calendar`` / ``uid`` /
``calendar_ref``, as before, and they are read that way.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("holds") as batch:
        batch.add_column(sa.Column("placements", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("holds") as batch:
        batch.drop_column("placements")
