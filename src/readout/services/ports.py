"""Ports: the small interfaces services use to reach outside systems."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

# The ports name domain types only in signatures: importing them for the type checker alone keeps the
# case-file adapter (which needs RemoteSource) from loading the workflow's domain at start-up.
if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from readout.domain.audit import AuditEntry
    from readout.domain.effects import Effect
    from readout.domain.escalation import Escalation
    from readout.domain.exception_requests import ExceptionRequest, Waiver
    from readout.domain.holds import Hold
    from readout.domain.intervals import Interval
    from readout.domain.invite import Invitation, InvitePacket
    from readout.domain.users import User

__all__ = [
    "AuditLog",
    "CalendarReader",
    "CalendarSource",
    "Effects",
    "Escalations",
    "ExceptionRequests",
    "HoldCalendar",
    "HoldLedger",
    "InviteSender",
    "Plans",
    "RemoteSource",
    "UnitOfWork",
    "UserAudit",
    "Users",
    "Waivers",
]


FEED_SCHEMES = ("http", "https", "webcal")  # an .ics feed
CALDAV_SCHEMES = ("caldav", "caldavs")  # a CalDAV collection
REMOTE_SCHEMES = FEED_SCHEMES + CALDAV_SCHEMES


@dataclass(frozen=True)
class RemoteSource:
    """A calendar named by URL (``https://``, ``webcal://``, ``caldav://``). Its credentials never come from
    the case file; ``shown`` is the URL without user information or query, for messages, plans and audit."""

    url: str

    @property
    def scheme(self) -> str:
        """The URL's scheme, lower case (``https``, ``webcal``, ``caldavs``...)."""
        return self.url.partition("://")[0].lower()

    @property
    def is_caldav(self) -> bool:
        """Whether the URL names a CalDAV collection (``caldav://``, ``caldavs://``): holds can go there."""
        return self.scheme in CALDAV_SCHEMES

    @property
    def shown(self) -> str:
        """The URL with any ``user:password@`` and fragment removed and its query (which may carry a token,
        ``?token=...``) replaced by ``?(redacted)``: what messages name and plans and the audit trail keep."""
        scheme, authority, path, query = _url_parts(self.url)
        host = authority.rpartition("@")[2]
        if ":" in host and not host.rpartition(":")[2].isdigit() and not host.endswith("]"):
            return f"{scheme}://(unreadable host)/"  # e.g. a password with a raw "/" in it: show nothing
        return f"{scheme}://{host}{path}{'?(redacted)' if query else ''}"

    @property
    def carries_credentials(self) -> bool:
        """Whether the URL holds a ``user:password@`` (never sent: credentials come from the settings)."""
        return "@" in _url_parts(self.url)[1]


def _url_parts(url: str) -> tuple[str, str, str, str]:
    """Scheme, authority, path (with its leading ``/``) and query of ``url``; the fragment is dropped."""
    scheme, _, rest = url.partition("://")
    rest, _, query = rest.partition("#")[0].partition("?")
    authority, slash, path = rest.partition("/")
    return scheme, authority, slash + path, query


CalendarSource = Path | RemoteSource


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
    """Plans made for an escalation (the JSON result of spec section 6, all candidates)."""

    def add(self, escalation_id: str, made_at: datetime, plan: dict[str, Any]) -> None:
        """Store a plan."""
        ...

    def latest(self, escalation_id: str) -> dict[str, Any] | None:
        """The newest plan, or None."""
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
