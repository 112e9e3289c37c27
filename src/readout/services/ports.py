"""Ports: the small interfaces services use to reach outside systems."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from readout.domain.sources import CalendarSource

# The ports name domain types only in signatures: importing them for the type checker alone keeps an
# adapter that needs one port from loading the workflow's whole domain at start-up.
if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from readout.domain.audit import AuditEntry
    from readout.domain.auth import ApiToken, PasswordRecord, Session
    from readout.domain.case_document import CaseDocument, CaseVersion, LoadedCase
    from readout.domain.channel import ChannelMessage
    from readout.domain.effects import Effect
    from readout.domain.escalation import Escalation
    from readout.domain.exception_requests import ExceptionRequest, Waiver
    from readout.domain.holds import Hold, Placement
    from readout.domain.intervals import Interval
    from readout.domain.invite import Invitation, InvitePacket
    from readout.domain.pick_links import PickLink
    from readout.domain.plan import Plan
    from readout.domain.users import User

__all__ = [
    "ApiTokens",
    "AuditLog",
    "CalendarMark",
    "CalendarMarks",
    "CalendarReader",
    "CaseBuilder",
    "CaseVersions",
    "Channel",
    "Effects",
    "Escalations",
    "ExceptionRequests",
    "HoldCalendar",
    "HoldLedger",
    "IdempotencyKeys",
    "InviteSender",
    "LoginThrottle",
    "Passwords",
    "PickLinks",
    "Plans",
    "Sessions",
    "StoredResponse",
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

    def fingerprint(self, source: CalendarSource) -> str | None:
        """A short text that changes whenever the source's events may have changed, cheap to get again: a
        local file's SHA-256 (not even read while its status shows it unchanged), a feed's body SHA-256 (a
        conditional GET: a 304 gives the cached body's), a CalDAV collection's ctag or sync-token. None when
        the source offers no such mark. Errors as for ``busy``: the source cannot be read now."""
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


class Channel(Protocol):
    """The support leadership channel (Slack's Web API, or a fake). Only ever called by the effect runner,
    after the decision that caused the message was committed."""

    def post(
        self, message: ChannelMessage, *, key: str, thread: str | None = None, retry: bool = False
    ) -> str:
        """Post ``message`` (as a reply under the message ``thread`` when given); the posted message's
        reference (Slack: its ``ts``). ``key`` travels with the message (Slack: metadata) so that ``retry``
        (an earlier attempt was made: it may have posted before failing or crashing) first looks for a
        message with that key and returns it instead of posting again. ReadoutError subclasses on failure:
        ``SourceUnavailable`` for a passing one (rate limited, 5xx, unreachable; retried later), another
        for a refusal."""
        ...

    def update(self, ref: str, message: ChannelMessage) -> None:
        """Replace the message ``ref`` in place (the same failures as ``post``)."""
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

    def targets(self, ending_after: datetime) -> list[Placement]:
        """Where every hold whose slot ends after ``ending_after`` was placed (``Hold.targets``), across
        escalations: what the reaper compares a calendar's holds with to find orphans, in one read."""
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

    def escalation_ids(self) -> list[str]:
        """Every escalation id the log holds entries for, sorted (an escalation's row may be gone: verify
        reports such entries)."""
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

    def by_slack(self, slack_user: str) -> User | None:
        """The user linked to this Slack user id (the users file's ``slack:``), or None."""
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


class Passwords(Protocol):
    """Each local account's password hash (argon2id, PHC string); never the password itself."""

    def get(self, user_id: str) -> PasswordRecord | None:
        """The user's password record, or None (the user cannot sign in with a password)."""
        ...

    def put(self, record: PasswordRecord) -> None:
        """Create or replace the user's password record."""
        ...


class Sessions(Protocol):
    """Server-side sign-in sessions, keyed by the SHA-256 of the cookie's token (never the token)."""

    def add(self, session: Session) -> None:
        """Store a new session."""
        ...

    def get(self, session_id: str) -> Session | None:
        """The session whose token digest is ``session_id``, or None."""
        ...

    def update(self, session: Session) -> None:
        """Write a changed session (revoked)."""
        ...

    def touch(self, session_id: str, at: datetime) -> None:
        """Record that the session was used at ``at`` (only its last use: never undoes a revocation)."""
        ...

    def revoke_user(self, user_id: str, at: datetime, by: str) -> int:
        """Revoke every live session of the user; how many were live."""
        ...

    def of(self, user_id: str) -> list[Session]:
        """The user's sessions, oldest first."""
        ...


class ApiTokens(Protocol):
    """API tokens (``Authorization: Bearer``); only the SHA-256 of each secret is stored."""

    def add(self, token: ApiToken) -> None:
        """Store a new token; Conflict when the id exists."""
        ...

    def get(self, token_id: str) -> ApiToken | None:
        """The token, or None."""
        ...

    def update(self, token: ApiToken) -> None:
        """Write a changed token (revoked)."""
        ...

    def touch(self, token_id: str, at: datetime) -> None:
        """Record that the token was used at ``at`` (only its last use: never undoes a revocation)."""
        ...

    def of(self, user_id: str | None = None) -> list[ApiToken]:
        """The user's tokens (everyone's when None), oldest first."""
        ...


class LoginThrottle(Protocol):
    """Failed sign-ins per key (``user:ID``, ``address:IP``), shared by every process through the store."""

    def failures(self, key: str) -> tuple[int, datetime] | None:
        """How many failures are counted for ``key`` and when the last one was, or None; the key's row is
        locked until the unit of work ends, so that concurrent attempts on one key take turns."""
        ...

    def fail(self, key: str, at: datetime, forget_before: datetime) -> int:
        """Count one more failure at ``at`` (starting again from 1 when the last one was before
        ``forget_before``), atomically with other processes; the new count."""
        ...

    def forgive(self, key: str) -> None:
        """Take back one counted failure (an attempt counted before it was checked turned out right)."""
        ...

    def clear(self, key: str) -> None:
        """Forget the key's failures (a successful sign-in)."""
        ...

    def prune(self, before: datetime) -> None:
        """Forget every key whose last failure was before ``before``."""
        ...


class PickLinks(Protocol):
    """The customer's pick links; only the SHA-256 of each link's token is stored."""

    def add(self, link: PickLink) -> None:
        """Store a new link; Conflict when the id exists."""
        ...

    def get(self, link_id: str) -> PickLink | None:
        """The link, or None."""
        ...

    def by_token_hash(self, token_hash: str) -> PickLink | None:
        """The link whose token hashes to ``token_hash``, or None."""
        ...

    def update(self, link: PickLink) -> None:
        """Write a changed link (revoked, answered)."""
        ...

    def of(self, escalation_id: str) -> list[PickLink]:
        """The escalation's links, oldest first."""
        ...


@dataclass(frozen=True)
class StoredResponse:
    """The response given to one ``Idempotency-Key``, replayed when the same principal sends it again.

    A request reserves its key before its command runs: the row is stored with ``status`` ``IN_PROGRESS``
    (0, never an HTTP status) and an empty body, and ``created_at`` is when it was reserved (the wall clock);
    the reservation is completed with the answer, or removed when the command failed."""

    IN_PROGRESS: ClassVar[int] = 0

    principal_id: str
    key: str
    method: str
    path: str
    request_digest: str  # SHA-256 of the request body: the same key with another body is refused
    status: int
    body: dict[str, Any]
    created_at: datetime

    @property
    def in_progress(self) -> bool:
        """Reserved by a request whose command has not answered yet."""
        return self.status == StoredResponse.IN_PROGRESS


class IdempotencyKeys(Protocol):
    """Responses stored per (principal, Idempotency-Key), and reservations of keys whose request is running.

    A reservation is named by its key and its ``created_at``: ``complete``, ``remove`` and ``take_over`` act
    only on the reservation made at that instant, so a request whose expired reservation was taken over by
    another can no longer complete or remove it."""

    def get(self, principal_id: str, key: str) -> StoredResponse | None:
        """The stored response or reservation, or None."""
        ...

    def put(self, response: StoredResponse) -> bool:
        """Store the response (or reservation); False (nothing written) when (principal_id, key) is already
        stored."""
        ...

    def complete(self, response: StoredResponse) -> bool:
        """Give the reservation made at ``response.created_at`` its answer (``status`` and ``body``); False
        (nothing written) when that reservation is no longer there."""
        ...

    def remove(self, reservation: StoredResponse) -> None:
        """Delete the reservation made at ``reservation.created_at`` (nothing when it is no longer there)."""
        ...

    def take_over(self, stale: StoredResponse, fresh: StoredResponse) -> bool:
        """Replace the reservation ``stale`` (same key, made at ``stale.created_at``) by ``fresh``; False
        (nothing written) when another request took it over, completed or removed it first."""
        ...

    def prune(self, before: datetime) -> None:
        """Forget keys stored before ``before`` (answers and dead reservations alike), a batch at a time."""
        ...


@dataclass(frozen=True)
class CalendarMark:
    """The fingerprint a calendar source had when an escalation that reads it was last planned (or first
    watched). ``source`` is the source as shown (a path, or a URL without credentials or query)."""

    escalation_id: str
    source: str
    fingerprint: str
    checked_at: datetime


class CalendarMarks(Protocol):
    """Per escalation, the fingerprint of each calendar source it reads (services/watch.py)."""

    def of(self, escalation_id: str) -> dict[str, CalendarMark]:
        """The escalation's marks, by source."""
        ...

    def put(self, mark: CalendarMark) -> None:
        """Create or replace the mark of (escalation, source)."""
        ...

    def forget(self, escalation_id: str, sources: Iterable[str]) -> None:
        """Remove the escalation's marks of ``sources`` (a source its case no longer names)."""
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
    passwords: Passwords
    sessions: Sessions
    tokens: ApiTokens
    login_throttle: LoginThrottle
    idempotency: IdempotencyKeys
    pick_links: PickLinks
    calendar_marks: CalendarMarks

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(self, *exc: object) -> None:
        """Roll back whatever was not committed."""
        ...

    def commit(self) -> None:
        """Make the changes durable."""
        ...
