"""The store's tables (SQLAlchemy Core). The migrations create them; this module only describes them.

* No foreign keys between tables: the ledgers have the same contract as the in-memory twin, which records a
  hold, plan or waiver without requiring the escalation row, and an audit row must never be removable by a
  cascade.
* Instants are ``UtcDateTime``: aware UTC in and out, microseconds kept. PostgreSQL stores ``timestamptz``;
  SQLite stores naive UTC text of fixed width, so text order is time order.
* JSON columns are ``JSON``, never PostgreSQL's ``JSONB``: JSONB re-encodes numbers (``1e+20`` comes back
  as ``100000000000000000000``), and an audit payload must come back exactly as it was hashed.
* Enum-valued fields are stored as their ``.value`` strings; the repositories convert.
* Nothing stores an escalation's ``summary``: the domain objects written here do not carry it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.types import TypeDecorator

__all__ = [
    "APPEND_ONLY_TRIGGERS",
    "LIVE_HOLD_INDEX",
    "USER_AUDIT_TRIGGERS",
    "UtcDateTime",
    "api_tokens",
    "audit_entries",
    "calendar_marks",
    "case_versions",
    "effects",
    "escalations",
    "exception_requests",
    "holds",
    "idempotency_keys",
    "login_failures",
    "metadata",
    "passwords",
    "pick_links",
    "plans",
    "sessions",
    "user_audit_entries",
    "user_audit_head",
    "users",
    "waivers",
]

# Names the migrations give the append-only guard on audit_entries (tamper tests drop them on purpose).
APPEND_ONLY_TRIGGERS = {
    "sqlite": ("audit_entries_no_update", "audit_entries_no_delete"),
    "postgresql": ("audit_entries_no_update_delete", "audit_entries_no_truncate"),
}
LIVE_HOLD_INDEX = "uq_holds_one_live_per_slot"


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC instant. Naive datetimes are refused on the way in, as everywhere in the core."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} cannot be stored")
        moment = value.astimezone(UTC)
        return moment.replace(tzinfo=None) if dialect.name == "sqlite" else moment

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

escalations = Table(
    "escalations",
    metadata,
    Column("id", String, primary_key=True),
    Column("case_path", Text),  # the file of an escalation opened before documents were stored (0005)
    Column("case_digest", String, nullable=False),
    Column("case_version", Integer, nullable=False),
    Column("customer_id", String, nullable=False),
    Column("opened_at", UtcDateTime, nullable=False, index=True),
    Column("state", String, nullable=False),
    Column("approved_at", UtcDateTime),
    Column("deadline", UtcDateTime),
    Column("first_viable_at", UtcDateTime),
    Column("review_start", UtcDateTime),
    Column("review_end", UtcDateTime),
    Column("review_interpreter", String),
    Column("packet_digest", String),
    Column("confirmed_by", String),
    Column("confirmed_at", UtcDateTime),
    Column("version", Integer, nullable=False),
    Column("audit_seq", Integer, nullable=False),
    Column("audit_head", String, nullable=False),
)

# The escalation record: each version of its case document, as canonical JSON text (hashed as stored).
case_versions = Table(
    "case_versions",
    metadata,
    Column("escalation_id", String, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("document", Text, nullable=False),
    Column("digest", String, nullable=False),
    Column("origin", Text, nullable=False),
    Column("imported_by", String, nullable=False),
    Column("imported_at", UtcDateTime, nullable=False),
)

# ``seq`` is global and increasing, so two processes adding plans never collide and "latest" is max(seq).
plans = Table(
    "plans",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("escalation_id", String, nullable=False, index=True),
    Column("made_at", UtcDateTime, nullable=False),
    Column("plan", JSON, nullable=False),
)

holds = Table(
    "holds",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("uid", String, nullable=False),
    Column("escalation_id", String, nullable=False, index=True),
    Column("slot_start", UtcDateTime, nullable=False),
    Column("slot_end", UtcDateTime, nullable=False),
    Column("calendar", String, nullable=False),
    Column("placed_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("status", String, nullable=False),
    Column("ended_at", UtcDateTime),
    Column("end_reason", Text),
    Column("calendar_ref", Text),
    # Every calendar the hold goes on: [{"calendar", "person", "zone", "uid", "ref"}]; NULL on rows from
    # before revision 0006, whose one calendar is ``calendar`` / ``uid`` / ``calendar_ref``.
    Column("placements", JSON),
    # One live hold per escalation and slot (whatever calendar it sits on), enforced by the database so that
    # racing processes agree.
    Index(
        LIVE_HOLD_INDEX,
        "escalation_id",
        "slot_start",
        unique=True,
        sqlite_where=text("status = 'live'"),
        postgresql_where=text("status = 'live'"),
    ),
    Index("ix_holds_live_expiry", "expires_at", "status"),
)

exception_requests = Table(
    "exception_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("escalation_id", String, nullable=False, index=True),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("requested_by", String, nullable=False),
    Column("route", String, nullable=False),
    Column("causes", JSON, nullable=False),
    Column("options", JSON, nullable=False),  # [{"start", "end", "waivers", "interpreter"}], ISO UTC instants
    Column("deadline", UtcDateTime),
    Column("reason", Text, nullable=False),
    Column("decision", String, nullable=False),
    Column("decided_by", String),
    Column("decided_at", UtcDateTime),
    Column("decision_reason", Text),
)

waivers = Table(
    "waivers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("escalation_id", String, nullable=False, index=True),
    Column("request_id", Integer, nullable=False),
    Column("slot_start", UtcDateTime, nullable=False),
    Column("slot_end", UtcDateTime, nullable=False),
    Column("family", String, nullable=False),
    Column("approved_by", String, nullable=False),
    Column("approved_at", UtcDateTime, nullable=False),
    Column("reason", Text, nullable=False),
)

audit_entries = Table(
    "audit_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("escalation_id", String, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String, nullable=False),
    Column("kind", String, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("prev_hash", String, nullable=False),
    Column("hash", String, nullable=False),
    UniqueConstraint("escalation_id", "seq"),
)

users = Table(
    "users",
    metadata,
    Column("id", String, primary_key=True),
    Column("name", String, nullable=False),
    Column("email", String, nullable=False),
    Column("roles", JSON, nullable=False),  # sorted list of Role values
    Column("slack", String, index=True),  # the linked Slack user id (revision 0009); None: not linked
    # revision 0011: "person" or "agent" (docs/agents.md), and an agent's principal (a user id)
    Column("kind", String, nullable=False, server_default="person"),
    Column("on_behalf_of", String),
)

# Slack interaction requests taken (revision 0009): each signature once, so that a replayed request is
# refused; rows older than a signature's acceptance window are deleted as new ones come.
slack_requests = Table(
    "slack_requests",
    metadata,
    Column("signature", String, primary_key=True),
    Column("seen_at", UtcDateTime, nullable=False, index=True),
)

# Effects (the outbox): intents written with the decision that causes them, carried out after the commit.
# ``key`` is unique, so writing the same intent twice (a retried command) records it once.
effects = Table(
    "effects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("escalation_id", String, nullable=False, index=True),
    Column("kind", String, nullable=False),
    Column("key", String, nullable=False, unique=True),
    Column("payload", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("status", String, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_at", UtcDateTime),
    Column("lease_until", UtcDateTime),
    Column("last_error", Text),
    Column("done_at", UtcDateTime),
    Column("result", JSON, nullable=False),
    Index("ix_effects_status_next_at", "status", "next_at"),
)

# The users chain (who changed which user's roles or name): append-only like audit_entries, and its head is
# one row (id 1) that only ever moves forward one entry at a time, so that dropping the newest entries shows.
# The migration's triggers, as (table, trigger) pairs (tamper tests drop them on purpose).
USER_AUDIT_TRIGGERS = {
    "sqlite": (
        ("user_audit_entries", "user_audit_entries_no_update"),
        ("user_audit_entries", "user_audit_entries_no_delete"),
        ("user_audit_head", "user_audit_head_forward_only"),
        ("user_audit_head", "user_audit_head_no_delete"),
    ),
    "postgresql": (
        ("user_audit_entries", "user_audit_entries_no_update_delete"),
        ("user_audit_entries", "user_audit_entries_no_truncate"),
        ("user_audit_head", "user_audit_head_forward_only"),
        ("user_audit_head", "user_audit_head_no_truncate"),
    ),
}

user_audit_entries = Table(
    "user_audit_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("seq", Integer, nullable=False, unique=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String, nullable=False),
    Column("kind", String, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("prev_hash", String, nullable=False),
    Column("hash", String, nullable=False),
)

user_audit_head = Table(
    "user_audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String, nullable=False),
)

# Credentials (revision 0007). No secret is stored in clear: a password as its argon2id hash (PHC string), a
# session as the SHA-256 of its cookie's token (the key), an API token as the SHA-256 of its secret.
passwords = Table(
    "passwords",
    metadata,
    Column("user_id", String, primary_key=True),
    Column("hash", Text, nullable=False),
    Column("set_at", UtcDateTime, nullable=False),
    Column("set_by", String, nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", String, primary_key=True),  # SHA-256 (hex) of the cookie's token
    Column("user_id", String, nullable=False, index=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
    Column("revoked_by", String),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String, primary_key=True),  # the public id inside the token text
    Column("user_id", String, nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("secret_hash", String, nullable=False),  # SHA-256 (hex) of the secret
    Column("scopes", JSON, nullable=False),  # sorted list of scope names
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
    Column("revoked_by", String),
    Column("last_used_at", UtcDateTime),
)

# Failed sign-ins per key ("user:ID", "address:IP"), shared by every process of a deployment.
login_failures = Table(
    "login_failures",
    metadata,
    Column("key", String, primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", UtcDateTime, nullable=False, index=True),
)

# The response given to each (principal, Idempotency-Key), replayed when a request is retried.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("principal_id", String, primary_key=True),
    Column("key", String, primary_key=True),
    Column("method", String, nullable=False),
    Column("path", Text, nullable=False),
    Column("request_digest", String, nullable=False),
    Column("status", Integer, nullable=False),
    Column("body", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False, index=True),
)

pick_links = Table(
    "pick_links",
    metadata,
    Column("id", String, primary_key=True),  # the public id (audit trail, escalation page)
    Column("escalation_id", String, nullable=False, index=True),
    Column("token_hash", String, nullable=False, unique=True),  # SHA-256 (hex) of the token in the URL
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
    Column("revoked_by", String),
    Column("answered_at", UtcDateTime),
    Column("answer", String),  # "picked" or "declined"
    Column("picked_start", UtcDateTime),
    Column("picked_end", UtcDateTime),
    Column("note", Text, nullable=False),  # the customer's note ("" when none)
)

# The fingerprint of each calendar source an open escalation reads, as of its last plan (revision 0010): a
# worker pass re-plans the escalation when one differs (services/watch.py). ``source`` is the source as shown
# (a path, or a URL without user information or query): never a credential. No event content.
calendar_marks = Table(
    "calendar_marks",
    metadata,
    Column("escalation_id", String, primary_key=True),
    Column("source", String, primary_key=True),
    Column("fingerprint", String, nullable=False),
    Column("checked_at", UtcDateTime, nullable=False),
)
