"""The users chain: every import of users is a hash-chained entry, append-only like the escalations' log.

``user_audit_entries`` refuses UPDATE and DELETE (and TRUNCATE on PostgreSQL); ``user_audit_head`` is one row
(id 1) holding the chain's length and last hash, which may only move forward one entry at a time and cannot
be deleted, so dropping the newest entries is caught by ``readout audit verify``. Users stored before this
revision are put on record as the chain's first entry, so that the chain accounts for every stored user.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from readout.domain.audit import GENESIS, chain

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = [
    """CREATE TRIGGER user_audit_entries_no_update BEFORE UPDATE ON user_audit_entries
    BEGIN SELECT RAISE(ABORT, 'user audit entries are append-only: UPDATE refused'); END""",
    """CREATE TRIGGER user_audit_entries_no_delete BEFORE DELETE ON user_audit_entries
    BEGIN SELECT RAISE(ABORT, 'user audit entries are append-only: DELETE refused'); END""",
    """CREATE TRIGGER user_audit_head_forward_only BEFORE UPDATE ON user_audit_head
    WHEN NEW.id <> OLD.id OR NEW.seq <> OLD.seq + 1
    BEGIN SELECT RAISE(ABORT, 'the users chain head is append-only: one entry forward at a time'); END""",
    """CREATE TRIGGER user_audit_head_no_delete BEFORE DELETE ON user_audit_head
    BEGIN SELECT RAISE(ABORT, 'the users chain head is append-only: DELETE refused'); END""",
]
# restrict_violation (23001) is an integrity error, like SQLite's RAISE(ABORT): callers see one kind.
_POSTGRESQL_TRIGGERS = [
    """CREATE FUNCTION user_audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION USING
            MESSAGE = 'user audit entries are append-only: ' || TG_OP || ' refused',
            ERRCODE = 'restrict_violation';
    END
    $$""",
    """CREATE TRIGGER user_audit_entries_no_update_delete BEFORE UPDATE OR DELETE ON user_audit_entries
    FOR EACH ROW EXECUTE FUNCTION user_audit_refuse_change()""",
    """CREATE TRIGGER user_audit_entries_no_truncate BEFORE TRUNCATE ON user_audit_entries
    FOR EACH STATEMENT EXECUTE FUNCTION user_audit_refuse_change()""",
    """CREATE FUNCTION user_audit_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND NEW.id = OLD.id AND NEW.seq = OLD.seq + 1 THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION USING
            MESSAGE = 'the users chain head is append-only: it moves forward one entry at a time ('
                || TG_OP || ' refused)',
            ERRCODE = 'restrict_violation';
    END
    $$""",
    """CREATE TRIGGER user_audit_head_forward_only BEFORE UPDATE OR DELETE ON user_audit_head
    FOR EACH ROW EXECUTE FUNCTION user_audit_head_forward_only()""",
    """CREATE TRIGGER user_audit_head_no_truncate BEFORE TRUNCATE ON user_audit_head
    FOR EACH STATEMENT EXECUTE FUNCTION user_audit_refuse_change()""",
]


def _instant() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    entries = op.create_table(
        "user_audit_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", _instant(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(), nullable=False),
        sa.Column("hash", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_user_audit_entries"),
        sa.UniqueConstraint("seq", name="uq_user_audit_entries_seq"),
    )
    head = op.create_table(
        "user_audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_user_audit_head"),
    )
    first = _users_on_record()
    if first is None:
        op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": GENESIS}])
    else:
        op.bulk_insert(entries, [first])
        op.bulk_insert(head, [{"id": 1, "seq": first["seq"], "hash": first["hash"]}])
    for statement in _triggers():
        op.execute(statement)


def _users_on_record() -> dict[str, object] | None:
    """The chain's first entry when users are stored already: each of them as found, by Readout."""
    users = sa.table(
        "users", sa.column("id"), sa.column("name"), sa.column("email"), sa.column("roles", sa.JSON)
    )
    rows = op.get_bind().execute(sa.select(users).order_by(users.c.id)).mappings().all()
    if not rows:
        return None
    named = [
        {
            "id": r["id"],
            "change": "added",
            "new": {"name": r["name"], "email": r["email"], "roles": sorted(r["roles"])},
        }
        for r in rows
    ]
    payload = {"bootstrap": False, "users": named, "reason": "users stored before the users chain began"}
    now = datetime.now(UTC)
    entry = chain(0, GENESIS, "users", now, "readout", "users_on_record", payload)
    return {
        "seq": entry.seq,
        "at": now if op.get_context().dialect.name != "sqlite" else now.replace(tzinfo=None),
        "actor": entry.actor,
        "kind": entry.kind,
        "payload": entry.payload,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def _triggers() -> list[str]:
    name = op.get_context().dialect.name
    if name == "sqlite":
        return _SQLITE_TRIGGERS
    if name == "postgresql":
        return _POSTGRESQL_TRIGGERS
    raise NotImplementedError(f"no append-only guard for {name}; Readout supports SQLite and PostgreSQL")


def downgrade() -> None:
    op.execute("DROP TABLE user_audit_head")  # takes its triggers with it
    op.execute("DROP TABLE user_audit_entries")
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP FUNCTION user_audit_head_forward_only()")
        op.execute("DROP FUNCTION user_audit_refuse_change()")
