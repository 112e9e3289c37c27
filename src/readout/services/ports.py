"""Ports: the small interfaces services use to reach outside systems."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from readout.domain.sources import CalendarSource

# The ports name domain types only in signatures: importing them for the type checker alone keeps an
# adapter that needs one port from loading the workflow's whole domain at start-up.
if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from readout.domain.audit import AuditEntry
    from readout.domain.case_document import CaseDocument, CaseVersion, LoadedCase
    from readout.domain.effects import Effect
    from readout.domain.escalation import Escalation
    from readout.domain.exception_requests import ExceptionRequest, Waiver
    from readout.domain.holds import Hold
    from readout.domain.intervals import Interval
    from readout.domain.invite import Invitation, InvitePacket
    from readout.domain.plan import Plan
    from readout.domain.users import User

__all__ = [
    "AuditLog",
    "CalendarReader",
    "CaseBuilder",
    "CaseVersions",
    "Effects",
    "Escalations",
    "ExceptionRequests",
    "HoldCalendar",
    "HoldLedger",
    "InviteSender",
    "Plans",
    "UnitOfWork",
    "UserAudit",
    "Users",
    "Waivers",
]


class CalendarReader(Protocol):
    """Reads free/busy from a calendar source. Only intervals come back, never event details."""

    def busy(
        self,
        source: CalendarSource,
        *,
        window: Interval,
        zone: ZoneInfo,
        tentative_is_busy: bool,
        exclude_escalation: str | None,
    ) -> tuple[Interval, ...]:
        """Busy intervals of the source's owner overlapping ``window``.

        Raises CalendarError when a local file is invalid, SourceUnavailable when a remote source fails.
        """
        ...

    def blackouts(self, source: CalendarSource, *, window: Interval, zone: ZoneInfo) -> tuple[Interval, ...]:
        """Blackout blocks (every non-cancelled event) overlapping ``window``; errors as for ``busy``."""
        ...


class HoldCalendar(Protocol):
    """The calendar side of holds, on the calendar named by ``hold.calendar``. Calls are idempotent (keyed by
    the hold's deterministic uid); what ``place``/``confirm`` return is stored as ``hold.calendar_ref``."""

    def place(self, hold: Hold, zone: ZoneInfo | None = None) -> str | None:
        """Put a tentative, neutral-titled hold (``hold.uid``) on the calendar; SlotTaken when not free.
        ``zone`` is the calendar owner's time zone, for reading their floating and all-day events when the
        slot is checked again (UTC when not given)."""
        ...

    def release(self, hold: Hold) -> None:
        """Remove the hold (already gone is fine); Conflict when someone else changed it: never overwrite."""
        ...

    def confirm(self, hold: Hold, packet: InvitePacket) -> str | None:
        """Replace the hold with the confirmed readout event (purpose, roles and times only)."""
        ...

    def marked(self, calendar: str, span: Interval) -> list[Hold]:
        """Tentative holds carrying Readout's escalation marker on ``calendar`` with a slot in ``span``, as
        placed (for finding orphans the ledger does not know); a calendar kept in the ledger only has none."""
        ...


class CaseBuilder(Protocol):
    """Validates a case document (the case-file schema and rules) and builds the domain case from it."""

    def build(self, document: CaseDocument) -> LoadedCase:
        """The validated case; CaseFileError naming ``document.origin``, the field path and what was
        expected."""
        ...


class InviteSender(Protocol):
    """Delivers iMIP invitations (RFC 6047). Only ever called after a named human confirmed."""

    def send(self, invitation: Invitation) -> None:
        """Send the invitation to every attendee of its packet; ReadoutError subclasses on failure."""
        ...


class Escalations(Protocol):
    """Stored escalations. ``get`` locks the row until the unit of work ends."""

    def add(self, escalation: Escalation) -> None:
        """Store a new escalation (and its pending audit entries); Conflict when the id exists."""
        ...

    def get(self, escalation_id: str) -> Escalation | None:
        """The escalation, locked for update, or None."""
        ...

    def save(self, escalation: Escalation) -> None:
        """Write state and pending audit entries; Conflict when another process saved first."""
        ...

    def list(self) -> list[Escalation]:
        """Every escalation, oldest first."""
        ...


class Plans(Protocol):
    """Plans made for an escalation (every candidate and near miss; the store keeps them as the spec's JSON
    result)."""

    def add(self, escalation_id: str, made_at: datetime, plan: Plan) -> None:
        """Store a plan."""
        ...

    def latest(self, escalation_id: str) -> Plan | None:
        """The newest plan, or None."""
        ...


class CaseVersions(Protocol):
    """The stored versions of each escalation's case document."""

    def add(self, version: CaseVersion) -> None:
        """Store a new version; Conflict when that escalation already has that version number."""
        ...

    def latest(self, escalation_id: str) -> CaseVersion | None:
        """The newest version, or None (an escalation opened before documents were stored, not imported)."""
        ...

    def of(self, escalation_id: str) -> list[CaseVersion]:
        """Every version, oldest first."""
        ...


class HoldLedger(Protocol):
    """The record of every hold placed, extended, released or expired."""

    def add(self, hold: Hold) -> Hold | None:
        """Record a new live hold and return it with its id; None (nothing written) when that escalation
        already holds that slot live, on any calendar (also when another process just did)."""
        ...

    def update(self, hold: Hold) -> None:
        """Write a changed hold (extended, released, expired, confirmed)."""
        ...

    def of(self, escalation_id: str) -> list[Hold]:
        """Every hold of the escalation, oldest first."""
        ...

    def expired(self, now: datetime) -> list[Hold]:
        """Live holds whose expiry has passed, across escalations."""
        ...


class ExceptionRequests(Protocol):
    """Exception requests and their decisions."""

    def add(self, request: ExceptionRequest) -> ExceptionRequest:
        """Store a request (its ``id`` is ignored) and return it with the id given."""
        ...

    def update(self, request: ExceptionRequest) -> None:
        """Write a decided request."""
        ...

    def of(self, escalation_id: str) -> list[ExceptionRequest]:
        """The escalation's requests, oldest first."""
        ...


class Waivers(Protocol):
    """Recorded waivers (one slot, one family each)."""

    def add(self, waiver: Waiver) -> None:
        """Record a waiver."""
        ...

    def of(self, escalation_id: str) -> list[Waiver]:
        """The escalation's waivers, oldest first."""
        ...


class AuditLog(Protocol):
    """Read side of the audit log (entries are written with their escalation)."""

    def entries(self, escalation_id: str) -> list[AuditEntry]:
        """The escalation's entries in stored order (by sequence)."""
        ...


class Effects(Protocol):
    """Intents (the outbox): written with the decision that causes them, carried out after the commit."""

    def add(self, effect: Effect) -> Effect | None:
        """Record the intent and return it with its id; None (nothing written) when its key exists."""
        ...

    def get(self, effect_id: int) -> Effect | None:
        """One effect, or None."""
        ...

    def update(self, effect: Effect) -> None:
        """Write a changed effect (claimed, done, retried, given up)."""
        ...

    def of(self, escalation_id: str) -> list[Effect]:
        """Every effect of the escalation, in the order decided."""
        ...

    def due(self, now: datetime, escalation_id: str | None = None) -> list[Effect]:
        """Pending effects whose time has come and in-flight ones whose lease ran out, oldest first."""
        ...


class Users(Protocol):
    """People who act in Readout."""

    def get(self, user_id: str) -> User | None:
        """The user, or None."""
        ...

    def put(self, user: User) -> None:
        """Create or replace a user."""
        ...

    def list(self) -> list[User]:
        """Every user, by id."""
        ...


class UserAudit(Protocol):
    """The users chain: one hash-chained entry per import, with its head kept apart so truncation shows."""

    def head(self) -> tuple[int, str] | None:
        """The chain's head (entries, last hash), locked until the unit of work ends so that imports take
        turns; None when the head was removed outside Readout."""
        ...

    def append(self, entry: AuditEntry) -> None:
        """Write the entry that follows the head and move the head there; Conflict if another came first."""
        ...

    def entries(self) -> list[AuditEntry]:
        """Every entry, by sequence."""
        ...


class UnitOfWork(Protocol):
    """One transaction over the store: everything commits together or not at all."""

    escalations: Escalations
    cases: CaseVersions
    plans: Plans
    holds: HoldLedger
    exceptions: ExceptionRequests
    waivers: Waivers
    audit: AuditLog
    users: Users
    effects: Effects
    user_audit: UserAudit

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(self, *exc: object) -> None:
        """Roll back whatever was not committed."""
        ...

    def commit(self) -> None:
        """Make the changes durable."""
        ...
