"""In-memory twin of the store, for unit tests of services. Same contract as the SQLAlchemy store."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from readout.domain.audit import GENESIS, AuditEntry
from readout.domain.auth import ApiToken, PasswordRecord, Session
from readout.domain.case_document import CaseVersion
from readout.domain.effects import Effect
from readout.domain.escalation import Escalation
from readout.domain.exception_requests import ExceptionRequest, Waiver
from readout.domain.holds import Hold, HoldStatus, Placement
from readout.domain.pick_links import PickLink
from readout.domain.plan import Plan
from readout.domain.users import User
from readout.errors import Conflict
from readout.services.ports import CalendarMark, StoredResponse

__all__ = ["MemoryStore", "MemoryUnitOfWork"]


class MemoryStore:
    """The committed data, shared by units of work."""

    def __init__(self) -> None:
        self.escalations: dict[str, Escalation] = {}
        self.plans: dict[str, list[Plan]] = {}
        self.cases: dict[str, list[CaseVersion]] = {}
        self.holds: dict[int, Hold] = {}
        self.exceptions: list[ExceptionRequest] = []
        self.waivers: list[Waiver] = []
        self.audit: dict[str, list[AuditEntry]] = {}
        self.users: dict[str, User] = {}
        self.user_audit: list[AuditEntry] = []
        self.user_audit_head: tuple[int, str] = (0, GENESIS)
        self.effects: dict[int, Effect] = {}
        self.passwords: dict[str, PasswordRecord] = {}
        self.sessions: dict[str, Session] = {}
        self.tokens: dict[str, ApiToken] = {}
        self.login_failures: dict[str, tuple[int, datetime]] = {}
        self.idempotency: dict[tuple[str, str], StoredResponse] = {}
        self.pick_links: dict[str, PickLink] = {}
        self.calendar_marks: dict[tuple[str, str], CalendarMark] = {}


class _Escalations:
    def __init__(self, data: MemoryStore) -> None:
        self.data = data

    def add(self, escalation: Escalation) -> None:
        if escalation.id in self.data.escalations:
            raise Conflict(f"escalation {escalation.id} already exists")
        self._write(escalation)

    def get(self, escalation_id: str) -> Escalation | None:
        found = self.data.escalations.get(escalation_id)
        return copy.deepcopy(found) if found else None

    def save(self, escalation: Escalation) -> None:
        stored = self.data.escalations.get(escalation.id)
        if stored is None or stored.version != escalation.version:
            raise Conflict(f"escalation {escalation.id} was changed by someone else; try again")
        escalation.version += 1
        self._write(escalation)

    def _write(self, escalation: Escalation) -> None:
        self.data.audit.setdefault(escalation.id, []).extend(escalation.pending)
        escalation.pending = []
        self.data.escalations[escalation.id] = copy.deepcopy(escalation)

    def list(self) -> list[Escalation]:
        return sorted((copy.deepcopy(e) for e in self.data.escalations.values()), key=lambda e: e.opened_at)


class _Plans:
    def __init__(self, data: MemoryStore) -> None:
        self.data = data

    def add(self, escalation_id: str, made_at: datetime, plan: Plan) -> None:
        self.data.plans.setdefault(escalation_id, []).append(plan)

    def latest(self, escalation_id: str) -> Plan | None:
        plans = self.data.plans.get(escalation_id)
        return plans[-1] if plans else None


class _CaseVersions:
    def __init__(self, data: MemoryStore) -> None:
        self.data = data

    def add(self, version: CaseVersion) -> None:
        versions = self.data.cases.setdefault(version.escalation_id, [])
        if any(v.version == version.version for v in versions):
            raise Conflict(f"escalation {version.escalation_id} already has case version {version.version}")
        versions.append(version)

    def latest(self, escalation_id: str) -> CaseVersion | None:
        versions = self.data.cases.get(escalation_id)
        return max(versions, key=lambda v: v.version) if versions else None

    def of(self, escalation_id: str) -> list[CaseVersion]:
        return sorted(self.data.cases.get(escalation_id, []), key=lambda v: v.version)


class _Holds:
    def __init__(self, data: MemoryStore) -> None:
        self.data = data

    def add(self, hold: Hold) -> Hold | None:
        clash = any(
            h.status is HoldStatus.LIVE
            and h.escalation_id == hold.escalation_id
            and h.slot.start == hold.slot.start
            for h in self.data.holds.values()
        )
        if clash:
            return None
        stored = replace(hold, id=len(self.data.holds) + 1)
        self.data.holds[stored.id] = stored
        return stored

    def update(self, hold: Hold) -> None:
        self.data.holds[hold.id] = hold

    def of(self, escalation_id: str) -> list[Hold]:
        return sorted(
            (h for h in self.data.holds.values() if h.escalation_id == escalation_id),
            key=lambda h: h.placed_at,
        )

    def expired(self, now: datetime) -> list[Hold]:
        return [h for h in self.data.holds.values() if h.status is HoldStatus.LIVE and h.expires_at <= now]

    def targets(self, ending_after: datetime) -> list[Placement]:
        return [p for h in self.data.holds.values() if h.slot.end > ending_after for p in h.targets]


class _Exceptions:
    def __init__(self, data: MemoryStore) -> None:
        self.data = data

    def add(self, request: ExceptionRequest) -> ExceptionRequest:
        stored = replace(request, id=len(self.data.exceptions) + 1)
        self.data.exceptions.append(stored)
        return stored

    def update(self, request: ExceptionRequest) -> None:
        self.data.exceptions[request.id - 1] = request

    def of(self, escalation_id: str) -> list[ExceptionRequest]:
        return [r for r in self.data.exceptions if r.escalation_id == escalation_id]


class _Waivers:
    def __init__(self, data: MemoryStore) -> None:
        self.data = data

    def add(self, waiver: Waiver) -> None:
        self.data.waivers.append(waiver)

    def of(self, escalation_id: str) -> list[Waiver]:
        return [w for w in self.data.waivers if w.escalation_id == escalation_id]


class _Audit:
    def __init__(self, data: MemoryStore) -> None:
        self.data = data

    def entries(self, escalation_id: str) -> list[AuditEntry]:
        return list(self.data.audit.get(escalation_id, []))

    def escalation_ids(self) -> list[str]:
        return sorted(k for k, v in self.data.audit.items() if v)


class _Users:
    def __init__(self, data: MemoryStore) -> None:
        self.data = data

    def get(self, user_id: str) -> User | None:
        return self.data.users.get(user_id)

    def put(self, user: User) -> None:
        self.data.users[user.id] = user

    def list(self) -> list[User]:
        return [self.data.users[k] for k in sorted(self.data.users)]

    def by_slack(self, slack_user: str) -> User | None:
        return next((u for u in self.list() if u.slack == slack_user), None)


class _Effects:
    def __init__(self, data: MemoryStore) -> None:
        self.data = data

    def add(self, effect: Effect) -> Effect | None:
        if any(e.key == effect.key for e in self.data.effects.values()):
            return None
        stored = replace(effect, id=len(self.data.effects) + 1)
        self.data.effects[stored.id] = stored
        return stored

    def get(self, effect_id: int) -> Effect | None:
        return self.data.effects.get(effect_id)

    def update(self, effect: Effect) -> None:
        self.data.effects[effect.id] = effect

    def of(self, escalation_id: str) -> list[Effect]:
        return [e for _, e in sorted(self.data.effects.items()) if e.escalation_id == escalation_id]

    def due(self, now: datetime, escalation_id: str | None = None) -> list[Effect]:
        return [
            e
            for _, e in sorted(self.data.effects.items())
            if e.due(now) and escalation_id in (None, e.escalation_id)
        ]


class _UserAudit:
    def __init__(self, data: MemoryStore) -> None:
        self.data = data

    def head(self) -> tuple[int, str] | None:
        return self.data.user_audit_head

    def append(self, entry: AuditEntry) -> None:
        if (entry.seq - 1, entry.prev_hash) != self.data.user_audit_head:
            raise Conflict("the users were changed by someone else; try again")
        self.data.user_audit.append(entry)
        self.data.user_audit_head = (entry.seq, entry.hash)

    def entries(self) -> list[AuditEntry]:
        return list(self.data.user_audit)


class _Passwords:
    def __init__(self, data: MemoryStore) -> None:
        self.data = data

    def get(self, user_id: str) -> PasswordRecord | None:
        return self.data.passwords.get(user_id)

    def put(self, record: PasswordRecord) -> None:
        self.data.passwords[record.user_id] = record


class _Sessions:
    def __init__(self, data: MemoryStore) -> None:
        self.data = data

    def add(self, session: Session) -> None:
        self.data.sessions[session.id] = session

    def get(self, session_id: str) -> Session | None:
        return self.data.sessions.get(session_id)

    def update(self, session: Session) -> None:
        self.data.sessions[session.id] = session

    def touch(self, session_id: str, at: datetime) -> None:
        found = self.data.sessions.get(session_id)
        if found is not None and found.last_seen_at < at:
            self.data.sessions[session_id] = replace(found, last_seen_at=at)

    def revoke_user(self, user_id: str, at: datetime, by: str) -> int:
        live = [
            s
            for s in self.data.sessions.values()
            if s.user_id == user_id and s.revoked_at is None and s.expires_at > at
        ]
        for session in live:
            self.data.sessions[session.id] = session.revoked(at, by)
        return len(live)

    def of(self, user_id: str) -> list[Session]:
        return sorted(
            (s for s in self.data.sessions.values() if s.user_id == user_id), key=lambda s: s.created_at
        )


class _Tokens:
    def __init__(self, data: MemoryStore) -> None:
        self.data = data

    def add(self, token: ApiToken) -> None:
        if token.id in self.data.tokens:
            raise Conflict(f"an API token {token.id} already exists")
        self.data.tokens[token.id] = token

    def get(self, token_id: str) -> ApiToken | None:
        return self.data.tokens.get(token_id)

    def update(self, token: ApiToken) -> None:
        self.data.tokens[token.id] = token

    def touch(self, token_id: str, at: datetime) -> None:
        found = self.data.tokens.get(token_id)
        if found is not None:
            self.data.tokens[token_id] = replace(found, last_used_at=at)

    def of(self, user_id: str | None = None) -> list[ApiToken]:
        chosen = (t for t in self.data.tokens.values() if user_id in (None, t.user_id))
        return sorted(chosen, key=lambda t: (t.created_at, t.id))


class _LoginThrottle:
    def __init__(self, data: MemoryStore) -> None:
        self.data = data

    def failures(self, key: str) -> tuple[int, datetime] | None:
        return self.data.login_failures.get(key)

    def fail(self, key: str, at: datetime, forget_before: datetime) -> int:
        count, last = self.data.login_failures.get(key, (0, at))
        count = 1 if last < forget_before else count + 1
        self.data.login_failures[key] = (count, max(at, last))
        return count

    def forgive(self, key: str) -> None:
        found = self.data.login_failures.get(key)
        if found is not None and found[0] > 0:
            self.data.login_failures[key] = (found[0] - 1, found[1])

    def clear(self, key: str) -> None:
        self.data.login_failures.pop(key, None)

    def prune(self, before: datetime) -> None:
        for key, (_, last) in list(self.data.login_failures.items()):
            if last < before:
                del self.data.login_failures[key]


class _Idempotency:
    def __init__(self, data: MemoryStore) -> None:
        self.data = data

    def get(self, principal_id: str, key: str) -> StoredResponse | None:
        return self.data.idempotency.get((principal_id, key))

    def put(self, response: StoredResponse) -> bool:
        if (response.principal_id, response.key) in self.data.idempotency:
            return False
        self.data.idempotency[(response.principal_id, response.key)] = copy.deepcopy(response)
        return True

    def _is_reservation(self, reserved: StoredResponse) -> bool:
        found = self.data.idempotency.get((reserved.principal_id, reserved.key))
        return found is not None and found.in_progress and found.created_at == reserved.created_at

    def complete(self, response: StoredResponse) -> bool:
        if not self._is_reservation(response):
            return False
        found = self.data.idempotency[(response.principal_id, response.key)]
        answered = replace(found, status=response.status, body=copy.deepcopy(response.body))
        self.data.idempotency[(response.principal_id, response.key)] = answered
        return True

    def remove(self, reservation: StoredResponse) -> None:
        if self._is_reservation(reservation):
            del self.data.idempotency[(reservation.principal_id, reservation.key)]

    def take_over(self, stale: StoredResponse, fresh: StoredResponse) -> bool:
        if (stale.principal_id, stale.key) != (fresh.principal_id, fresh.key) or not self._is_reservation(
            stale
        ):
            return False
        self.data.idempotency[(fresh.principal_id, fresh.key)] = copy.deepcopy(fresh)
        return True

    def prune(self, before: datetime) -> None:
        for found in [r for r in self.data.idempotency.values() if r.created_at < before]:
            del self.data.idempotency[(found.principal_id, found.key)]


class _PickLinks:
    def __init__(self, data: MemoryStore) -> None:
        self.data = data

    def add(self, link: PickLink) -> None:
        if link.id in self.data.pick_links:
            raise Conflict(f"a pick link {link.id} already exists")
        self.data.pick_links[link.id] = link

    def get(self, link_id: str) -> PickLink | None:
        return self.data.pick_links.get(link_id)

    def by_token_hash(self, token_hash: str) -> PickLink | None:
        return next((k for k in self.data.pick_links.values() if k.token_hash == token_hash), None)

    def update(self, link: PickLink) -> None:
        if link.id in self.data.pick_links:
            self.data.pick_links[link.id] = link

    def of(self, escalation_id: str) -> list[PickLink]:
        found = [k for k in self.data.pick_links.values() if k.escalation_id == escalation_id]
        return sorted(found, key=lambda k: (k.created_at, k.id))


class _CalendarMarks:
    def __init__(self, data: MemoryStore) -> None:
        self.data = data

    def of(self, escalation_id: str) -> dict[str, CalendarMark]:
        return {m.source: m for (e, _), m in self.data.calendar_marks.items() if e == escalation_id}

    def put(self, mark: CalendarMark) -> None:
        self.data.calendar_marks[(mark.escalation_id, mark.source)] = mark

    def forget(self, escalation_id: str, sources: Iterable[str]) -> None:
        for source in sources:
            self.data.calendar_marks.pop((escalation_id, source), None)


class MemoryUnitOfWork:
    """A unit of work over a MemoryStore: changes are made on a copy and swapped in on commit."""

    def __init__(self, store: MemoryStore | None = None) -> None:
        self.store = store or MemoryStore()

    def __enter__(self) -> MemoryUnitOfWork:
        self._work = copy.deepcopy(self.store)
        self.escalations = _Escalations(self._work)
        self.cases = _CaseVersions(self._work)
        self.plans = _Plans(self._work)
        self.holds = _Holds(self._work)
        self.exceptions = _Exceptions(self._work)
        self.waivers = _Waivers(self._work)
        self.audit = _Audit(self._work)
        self.users = _Users(self._work)
        self.user_audit = _UserAudit(self._work)
        self.effects = _Effects(self._work)
        self.passwords = _Passwords(self._work)
        self.sessions = _Sessions(self._work)
        self.tokens = _Tokens(self._work)
        self.login_throttle = _LoginThrottle(self._work)
        self.idempotency = _Idempotency(self._work)
        self.pick_links = _PickLinks(self._work)
        self.calendar_marks = _CalendarMarks(self._work)
        return self

    def __exit__(self, *exc: object) -> None:
        self._work = copy.deepcopy(self.store)  # anything not committed is dropped

    def commit(self) -> None:
        self.store.__dict__.update(copy.deepcopy(self._work).__dict__)
