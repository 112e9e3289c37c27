"""Escalations, their audit entries, case versions, plans and users, over one SQLAlchemy connection (one
transaction).

Locking: ``Escalations.get`` reads with ``SELECT ... FOR UPDATE`` (PostgreSQL), so a second unit of work
that gets the same escalation waits until the first ends; on SQLite every unit of work already holds the
write lock (``BEGIN IMMEDIATE``, see ``engine``). ``save`` still checks the version it read, so an
escalation read in one unit of work and saved in another cannot overwrite a newer one: Conflict instead.

Writes that can fail on a constraint run inside a SAVEPOINT, so a Conflict leaves the surrounding
transaction usable (PostgreSQL would otherwise refuse every later statement).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, Select, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from readout.adapters.plan_json import plan_from_json, plan_to_json
from readout.adapters.sql.tables import audit_entries, case_versions, escalations, plans, users
from readout.domain.audit import AuditEntry
from readout.domain.case_document import CaseDocument, CaseVersion
from readout.domain.escalation import Escalation
from readout.domain.intervals import Interval
from readout.domain.lifecycle import State
from readout.domain.plan import Plan
from readout.domain.users import Role, User, UserKind
from readout.errors import Conflict

__all__ = [
    "SqlAuditLog",
    "SqlCaseVersions",
    "SqlEscalations",
    "SqlPlans",
    "SqlUsers",
    "audit_entry",
    "audit_values",
]

# Escalation fields stored as they are (the rest need converting).
_PLAIN_FIELDS = (
    "case_digest",
    "case_version",
    "customer_id",
    "opened_at",
    "approved_at",
    "deadline",
    "first_viable_at",
    "review_interpreter",
    "packet_digest",
    "confirmed_by",
    "confirmed_at",
    "version",
    "audit_seq",
    "audit_head",
)


def _escalation_values(escalation: Escalation) -> dict[str, Any]:
    values = {name: getattr(escalation, name) for name in _PLAIN_FIELDS}
    slot = escalation.review_slot
    values.update(
        case_path=escalation.legacy_case_path,
        state=escalation.state.value,
        review_start=slot.start if slot else None,
        review_end=slot.end if slot else None,
    )
    return values


def _escalation(row: RowMapping) -> Escalation:
    start, end = row["review_start"], row["review_end"]
    return Escalation(
        id=row["id"],
        state=State(row["state"]),
        review_slot=Interval(start, end) if start is not None and end is not None else None,
        legacy_case_path=row["case_path"],
        **{name: row[name] for name in _PLAIN_FIELDS},
    )


def audit_values(entry: AuditEntry) -> dict[str, Any]:
    """An audit entry as a row of ``audit_entries`` (the users chain's rows are the same without the
    escalation id)."""
    return {
        "escalation_id": entry.escalation_id,
        "seq": entry.seq,
        "at": entry.at,
        "actor": entry.actor,
        "kind": entry.kind,
        "payload": entry.payload,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def audit_entry(row: RowMapping, escalation_id: str | None = None) -> AuditEntry:
    """The audit entry a row holds; ``escalation_id`` names the chain of a table without that column."""
    return AuditEntry(
        escalation_id=escalation_id or row["escalation_id"],
        seq=row["seq"],
        at=row["at"],
        actor=row["actor"],
        kind=row["kind"],
        payload=row["payload"],
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


class SqlEscalations:
    """The ``Escalations`` port: the row plus its audit entries, written in one go."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, escalation: Escalation) -> None:
        """Insert the escalation and its pending audit entries; Conflict when the id exists."""
        try:
            with self._connection.begin_nested():
                values = _escalation_values(escalation)
                self._connection.execute(insert(escalations).values(id=escalation.id, **values))
                self._write_audit(escalation.pending)
        except IntegrityError as error:
            raise Conflict(f"escalation {escalation.id} already exists") from error
        escalation.pending = []

    def get(self, escalation_id: str) -> Escalation | None:
        """The escalation, its row locked until the unit of work ends."""
        query = select(escalations).where(escalations.c.id == escalation_id).with_for_update()
        row = self._connection.execute(query).mappings().first()
        return _escalation(row) if row is not None else None

    def save(self, escalation: Escalation) -> None:
        """Write state and pending entries if nobody saved since it was read; bump ``version``."""
        stale = f"escalation {escalation.id} was changed by someone else; try again"
        values = _escalation_values(escalation) | {"version": escalation.version + 1}
        try:
            with self._connection.begin_nested():
                written = self._connection.execute(
                    update(escalations)
                    .where(escalations.c.id == escalation.id, escalations.c.version == escalation.version)
                    .values(**values)
                )
                if written.rowcount != 1:
                    raise Conflict(stale)
                self._write_audit(escalation.pending)
        except IntegrityError as error:  # an audit entry with that sequence exists: someone else wrote
            raise Conflict(stale) from error
        escalation.version += 1
        escalation.pending = []

    def list(self) -> list[Escalation]:
        """Every escalation, oldest first."""
        query = select(escalations).order_by(escalations.c.opened_at, escalations.c.id)
        return [_escalation(row) for row in self._connection.execute(query).mappings()]

    def _write_audit(self, entries: Iterable[AuditEntry]) -> None:
        rows = [audit_values(entry) for entry in entries]
        if rows:
            self._connection.execute(insert(audit_entries), rows)


class SqlAuditLog:
    """The ``AuditLog`` port (read side; entries are written by ``SqlEscalations``)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def entries(self, escalation_id: str) -> list[AuditEntry]:
        """The escalation's entries by sequence."""
        query = (
            select(audit_entries)
            .where(audit_entries.c.escalation_id == escalation_id)
            .order_by(audit_entries.c.seq, audit_entries.c.id)
        )
        return [audit_entry(row) for row in self._connection.execute(query).mappings()]

    def escalation_ids(self) -> list[str]:
        """Every escalation id with entries, sorted."""
        query = select(audit_entries.c.escalation_id).distinct().order_by(audit_entries.c.escalation_id)
        return [str(x) for x in self._connection.execute(query).scalars()]


class SqlPlans:
    """The ``Plans`` port: each plan stored as the spec's JSON result, every candidate and near miss."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, escalation_id: str, made_at: datetime, plan: Plan) -> None:
        """Store a plan."""
        self._connection.execute(
            insert(plans).values(escalation_id=escalation_id, made_at=made_at, plan=plan_to_json(plan, None))
        )

    def latest(self, escalation_id: str) -> Plan | None:
        """The newest plan, or None."""
        query = (
            select(plans.c.plan).where(plans.c.escalation_id == escalation_id).order_by(plans.c.seq.desc())
        )
        found = self._connection.execute(query.limit(1)).scalar()
        return None if found is None else plan_from_json(found)


class SqlCaseVersions:
    """The ``CaseVersions`` port: the canonical JSON text of each version, as hashed."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, version: CaseVersion) -> None:
        """Store a version; Conflict when the escalation has that version number already."""
        document = version.document
        try:
            with self._connection.begin_nested():
                self._connection.execute(
                    insert(case_versions).values(
                        escalation_id=version.escalation_id,
                        version=version.version,
                        document=document.text,
                        digest=document.digest,
                        origin=document.origin,
                        imported_by=version.imported_by,
                        imported_at=version.imported_at,
                    )
                )
        except IntegrityError as error:
            raise Conflict(
                f"escalation {version.escalation_id} already has case version {version.version}"
            ) from error

    def latest(self, escalation_id: str) -> CaseVersion | None:
        """The newest version, or None."""
        query = self._query(escalation_id).order_by(case_versions.c.version.desc()).limit(1)
        row = self._connection.execute(query).mappings().first()
        return None if row is None else _case_version(row)

    def of(self, escalation_id: str) -> list[CaseVersion]:
        """Every version, oldest first."""
        query = self._query(escalation_id).order_by(case_versions.c.version)
        return [_case_version(row) for row in self._connection.execute(query).mappings()]

    @staticmethod
    def _query(escalation_id: str) -> Select[Any]:
        return select(case_versions).where(case_versions.c.escalation_id == escalation_id)


def _case_version(row: RowMapping) -> CaseVersion:
    return CaseVersion(
        escalation_id=row["escalation_id"],
        version=row["version"],
        document=CaseDocument(json.loads(row["document"]), row["origin"]),
        imported_by=row["imported_by"],
        imported_at=row["imported_at"],
    )


class SqlUsers:
    """The ``Users`` port."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def get(self, user_id: str) -> User | None:
        """The user, or None."""
        row = self._connection.execute(select(users).where(users.c.id == user_id)).mappings().first()
        return _user(row) if row is not None else None

    def put(self, user: User) -> None:
        """Create or replace the user (one statement, so two processes putting the same user both succeed)."""
        values = {
            "name": user.name,
            "email": user.email,
            "roles": sorted(role.value for role in user.roles),
            "slack": user.slack,
            "kind": user.kind.value,
            "on_behalf_of": user.on_behalf_of,
        }
        upsert = (postgresql if self._connection.dialect.name == "postgresql" else sqlite).insert(users)
        statement = upsert.values(id=user.id, **values).on_conflict_do_update(
            index_elements=["id"], set_=values
        )
        self._connection.execute(statement)

    def list(self) -> list[User]:
        """Every user, by id."""
        return [_user(row) for row in self._connection.execute(select(users).order_by(users.c.id)).mappings()]

    def by_slack(self, slack_user: str) -> User | None:
        """The user linked to the Slack user ``slack_user``, or None."""
        row = self._connection.execute(select(users).where(users.c.slack == slack_user)).mappings().first()
        return _user(row) if row is not None else None


def _user(row: RowMapping) -> User:
    return User(
        id=row["id"],
        name=row["name"],
        email=row["email"],
        roles=frozenset(Role(value) for value in row["roles"]),
        slack=row["slack"],
        kind=UserKind(row["kind"]),
        on_behalf_of=row["on_behalf_of"],
    )
