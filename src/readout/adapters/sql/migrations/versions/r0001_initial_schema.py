"""Initial schema: escalations, plans, holds, exception requests, waivers, the audit log and users.

The audit log is append-only in the database itself: triggers refuse UPDATE and DELETE (and TRUNCATE on
PostgreSQL) on ``audit_entries``, so even code that bypasses Readout cannot rewrite history quietly; a DBA
who drops the triggers is caught by the hash chain instead.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_LIVE = sa.text("status = 'live'")

_SQLITE_TRIGGERS = [
    """CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
    BEGIN SELECT RAISE(ABORT, 'audit entries are append-only: UPDATE refused'); END""",
    """CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
    BEGIN SELECT RAISE(ABORT, 'audit entries are append-only: DELETE refused'); END""",
]
# restrict_violation (23001) is an integrity error, like SQLite's RAISE(ABORT): callers see one kind.
_POSTGRESQL_TRIGGERS = [
    """CREATE FUNCTION audit_entries_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION USING
            MESSAGE = 'audit entries are append-only: ' || TG_OP || ' refused',
            ERRCODE = 'restrict_violation';
    END
    $$""",
    """CREATE TRIGGER audit_entries_no_update_delete BEFORE UPDATE OR DELETE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION audit_entries_refuse_change()""",
    """CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_refuse_change()""",
]


def _instant() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "escalations",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("case_path", sa.Text(), nullable=False),
        sa.Column("case_digest", sa.String(), nullable=False),
        sa.Column("customer_id", sa.String(), nullable=False),
        sa.Column("opened_at", _instant(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("approved_at", _instant()),
        sa.Column("deadline", _instant()),
        sa.Column("first_viable_at", _instant()),
        sa.Column("review_start", _instant()),
        sa.Column("review_end", _instant()),
        sa.Column("review_interpreter", sa.String()),
        sa.Column("packet_digest", sa.String()),
        sa.Column("confirmed_by", sa.String()),
        sa.Column("confirmed_at", _instant()),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("audit_seq", sa.Integer(), nullable=False),
        sa.Column("audit_head", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_escalations"),
    )
    op.create_index("ix_escalations_opened_at", "escalations", ["opened_at"])

    op.create_table(
        "plans",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("escalation_id", sa.String(), nullable=False),
        sa.Column("made_at", _instant(), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_plans"),
    )
    op.create_index("ix_plans_escalation_id", "plans", ["escalation_id"])

    op.create_table(
        "holds",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uid", sa.String(), nullable=False),
        sa.Column("escalation_id", sa.String(), nullable=False),
        sa.Column("slot_start", _instant(), nullable=False),
        sa.Column("slot_end", _instant(), nullable=False),
        sa.Column("calendar", sa.String(), nullable=False),
        sa.Column("placed_at", _instant(), nullable=False),
        sa.Column("expires_at", _instant(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("ended_at", _instant()),
        sa.Column("end_reason", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_holds"),
    )
    op.create_index("ix_holds_escalation_id", "holds", ["escalation_id"])
    op.create_index("ix_holds_live_expiry", "holds", ["expires_at", "status"])
    op.create_index(
        "uq_holds_one_live_per_slot",
        "holds",
        ["escalation_id", "slot_start"],
        unique=True,
        sqlite_where=_LIVE,
        postgresql_where=_LIVE,
    )

    op.create_table(
        "exception_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("escalation_id", sa.String(), nullable=False),
        sa.Column("requested_at", _instant(), nullable=False),
        sa.Column("requested_by", sa.String(), nullable=False),
        sa.Column("route", sa.String(), nullable=False),
        sa.Column("causes", sa.JSON(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("deadline", _instant()),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decision", sa.String(), nullable=False),
        sa.Column("decided_by", sa.String()),
        sa.Column("decided_at", _instant()),
        sa.Column("decision_reason", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_exception_requests"),
    )
    op.create_index("ix_exception_requests_escalation_id", "exception_requests", ["escalation_id"])

    op.create_table(
        "waivers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("escalation_id", sa.String(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("slot_start", _instant(), nullable=False),
        sa.Column("slot_end", _instant(), nullable=False),
        sa.Column("family", sa.String(), nullable=False),
        sa.Column("approved_by", sa.String(), nullable=False),
        sa.Column("approved_at", _instant(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_waivers"),
    )
    op.create_index("ix_waivers_escalation_id", "waivers", ["escalation_id"])

    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("escalation_id", sa.String(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", _instant(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(), nullable=False),
        sa.Column("hash", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_entries"),
        sa.UniqueConstraint("escalation_id", "seq", name="uq_audit_entries_escalation_id_seq"),
    )

    op.create_table(
        "users",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
    )

    for statement in _append_only_triggers():
        op.execute(statement)


def _append_only_triggers() -> list[str]:
    name = op.get_context().dialect.name
    if name == "sqlite":
        return _SQLITE_TRIGGERS
    if name == "postgresql":
        return _POSTGRESQL_TRIGGERS
    raise NotImplementedError(f"no append-only guard for {name}; Readout supports SQLite and PostgreSQL")


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TABLE audit_entries")  # takes its triggers with it
        op.execute("DROP FUNCTION audit_entries_refuse_change()")
    else:
        op.drop_table("audit_entries")
    for table in ("users", "waivers", "exception_requests", "holds", "plans", "escalations"):
        op.drop_table(table)
