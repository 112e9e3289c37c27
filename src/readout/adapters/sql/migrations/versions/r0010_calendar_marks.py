"""Calendar marks: the fingerprint of each calendar source an open escalation reads, as of its last plan (a
local file's SHA-256, a feed body's SHA-256, a CalDAV collection's ctag or sync-token). A worker pass compares
them with the sources' fingerprints now and re-plans the escalation when one changed (services/watch.py).

``source`` is the source as shown (a path, or a URL without user information or query): no credential and no
event content is stored.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_marks",
        sa.Column("escalation_id", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("fingerprint", sa.String(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("escalation_id", "source", name="pk_calendar_marks"),
    )


def downgrade() -> None:
    op.drop_table("calendar_marks")
