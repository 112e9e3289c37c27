"""The audit log: append-only, hash-chained per escalation, built from workflow events.

Each entry's hash covers its position, time, actor, kind, payload and the previous entry's hash, so
editing, deleting, inserting or reordering entries breaks the chain; the escalation keeps the head (count and
last hash) so that dropping the newest entries is caught too.

An entry's time is the instant it was recorded, from the wall clock, never the instant a command acted "as of"
(``--now``, or a case file's ``now:``): that one goes into the payload as ``as_of`` when it differs. Recorded
times never go backwards along a chain; ``verify_chain`` reports a chain whose times do.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

from readout.domain.lifecycle import Action
from readout.domain.names import WAIVABLE, family_order

__all__ = [
    "AS_OF",
    "CHANNEL",
    "CREDENTIAL",
    "GENESIS",
    "HASH_PROCEDURE",
    "ON_BEHALF_OF",
    "STARTS",
    "AuditEntry",
    "Credential",
    "PlanAnswer",
    "SlotEvent",
    "SlotExplanation",
    "Verdict",
    "canonical_json",
    "chain",
    "entry_hash",
    "explain_start",
    "hashed_at",
    "in_runs",
    "payload_instant",
    "replay_problems",
    "stamp",
    "verify_chain",
    "wall_clock",
]

GENESIS = "0" * 64
AS_OF = "as_of"  # payload key: the instant a command acted as of, when it was not the moment of recording
# How the acting person reached Readout, set by the entry point for what it runs: "cli" (the local operator,
# whose `--as` names them without a credential) or "api" (signed in with a session or a token). Recorded in
# every entry's payload as ``via`` when set; use cases called directly (tests, the worker) leave it unset.
CHANNEL: ContextVar[str | None] = ContextVar("readout_channel", default=None)
# When the actor is an agent (docs/agents.md), the named user it acts for: recorded in each entry's payload as
# ``on_behalf_of``, so the trail reads "agent X on behalf of Y". Set by the agent's entry point per call.
ON_BEHALF_OF: ContextVar[str | None] = ContextVar("readout_on_behalf_of", default=None)


@dataclass(slots=True)
class Credential:
    """Which credential a request over the API acted with, named for the audit trail (``credential`` in
    each entry's payload): ``token <id>`` (the id ``readout tokens list`` shows) or ``session <first 12
    characters of its digest>``; never a secret. A box the HTTP entry point sets per request and fills in
    once the request is signed in (sign-in runs in a copy of the request's context, which shares the box)."""

    name: str | None = None


CREDENTIAL: ContextVar[Credential | None] = ContextVar("readout_credential", default=None)
_SAME_MOMENT = timedelta(seconds=1)  # an "as of" this close to the recording time is the recording time


def wall_clock() -> datetime:
    """The instant of recording: the real clock in UTC (a module function so that tests may replace it)."""
    return datetime.now(UTC)


def stamp(
    as_of: datetime, payload: dict[str, Any], after: datetime | None = None
) -> tuple[datetime, dict[str, Any]]:
    """The recorded time of an entry decided ``as_of``, and its payload: the wall clock (never before
    ``after``, the previous entry's time), with ``as_of`` added to the payload when it is not that moment."""
    at = wall_clock()
    if after is not None and at < after:
        at = after
    if abs(at - as_of) >= _SAME_MOMENT:
        payload = {**payload, AS_OF: as_of.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    channel = CHANNEL.get()
    if channel is not None:
        payload = {**payload, "via": channel}
    principal = ON_BEHALF_OF.get()
    if principal is not None:
        payload = {**payload, "on_behalf_of": principal}
    credential = CREDENTIAL.get()
    if credential is not None and credential.name:
        payload = {**payload, "credential": credential.name}
    return at, payload


def canonical_json(payload: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


@dataclass(frozen=True)
class AuditEntry:
    """One link of an escalation's audit chain."""

    escalation_id: str
    seq: int
    at: datetime
    actor: str
    kind: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str


# How an entry's hash is computed, in words (the JSON Lines export's header carries it; docs/audit.md too).
HASH_PROCEDURE = (
    "hash = SHA-256 (lower-case hex) of the UTF-8 bytes of the canonical JSON of the object "
    '{"escalation", "seq", "at", "actor", "kind", "payload", "prev"} taken from the entry '
    "(prev = the entry's prev_hash); canonical JSON: keys sorted, separators ',' and ':', no spaces, "
    "non-ASCII kept as is. "
    "The first entry's prev_hash is 64 zeros; each later entry's prev_hash is the hash of the entry "
    "before it; "
    "seq counts from 1 without gaps; the last entry's seq and hash are the chain's head."
)


def hashed_at(at: datetime) -> str:
    """An entry's time as it is hashed (and exported): UTC, microseconds, ``+00:00``."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(
    escalation_id: str, seq: int, at: datetime, actor: str, kind: str, payload: dict[str, Any], prev: str
) -> str:
    """SHA-256 over the entry's canonical form and the previous hash."""
    body = canonical_json(
        {
            "escalation": escalation_id,
            "seq": seq,
            "at": hashed_at(at),
            "actor": actor,
            "kind": kind,
            "payload": payload,
            "prev": prev,
        }
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def chain(
    head_seq: int,
    head_hash: str,
    escalation_id: str,
    at: datetime,
    actor: str,
    kind: str,
    payload: dict[str, Any],
) -> AuditEntry:
    """The entry that follows the chain's head (``head_seq`` 0 and GENESIS for the first entry)."""
    seq, prev = head_seq + 1, head_hash
    # Round-trip the payload so that what is hashed is exactly what a JSON column gives back.
    payload = json.loads(canonical_json(payload))
    digest = entry_hash(escalation_id, seq, at, actor, kind, payload, prev)
    return AuditEntry(escalation_id, seq, at, actor, kind, payload, prev, digest)


def verify_chain(entries: Sequence[AuditEntry], head_seq: int, head_hash: str) -> list[str]:
    """Problems found in one escalation's entries (in stored order); empty when the chain is intact."""
    problems: list[str] = []
    prev = GENESIS
    before: AuditEntry | None = None
    for position, entry in enumerate(entries, 1):
        if before is not None and entry.at < before.at:
            problems.append(
                f"entry {entry.seq}: recorded at {_utc(entry.at)}, before entry {before.seq} "
                f"({_utc(before.at)}): recorded times go backwards"
            )
        before = entry
        if entry.seq != position:
            problems.append(
                f"entry {position}: sequence {entry.seq} out of place (deleted, inserted or reordered)"
            )
        if entry.prev_hash != prev:
            problems.append(f"entry {entry.seq}: does not follow the entry before it")
        recomputed = entry_hash(
            entry.escalation_id, entry.seq, entry.at, entry.actor, entry.kind, entry.payload, entry.prev_hash
        )
        if recomputed != entry.hash:
            problems.append(f"entry {entry.seq}: content does not match its hash (edited)")
        prev = entry.hash
    if len(entries) != head_seq or prev != (head_hash if head_seq else GENESIS):
        problems.append(
            f"chain ends at entry {len(entries)} but the escalation records {head_seq} (entries lost)"
        )
    return problems


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# The rejected starts of a plan, kept in its audit entry ---------------------------------------------------
#
# A plan entry's payload carries, under ``starts``, the grid the plan searched and what each constraint family
# rejected on it, as runs: ``[first start (UTC, YYYY-MM-DDTHH:MM:SSZ), count]`` stands for ``count`` starts
# ``granularity_minutes`` apart from the first. ``considered`` holds every start searched; ``rejected`` maps
# each family to the starts it broke. A start in ``considered`` and in no family's runs was compliant (a
# candidate); one broken only by waivable families was a near miss. Entries made before this was recorded
# have no ``starts``.

STARTS = "starts"  # payload key of a plan entry: its searched grid and the rejected starts per family
PLAN_KINDS = ("plan", "plan_not_ready")
_HOLD_KINDS = frozenset(
    {
        "hold_placed",
        "hold_extended",
        "hold_released",
        "hold_expired",
        "hold_confirmed",
        "hold_on_calendar",
        "hold_off_calendar",
        "orphan_hold_released",
    }
)
_HOLD_ENDS = frozenset({"hold_released", "hold_expired", "hold_confirmed"})
_DECISION_KINDS = frozenset({"waiver_recorded", "approve_exception"})
_REQUEST_KINDS = frozenset({"request_exception", "escalate"})
_REQUEST_CLOSED = frozenset({"approve_exception", "reject_exception", "exception_superseded"})
_TRANSITIONS = frozenset(a.value for a in Action)  # the kinds of lifecycle moves (they record from and to)


def payload_instant(text: Any) -> datetime | None:
    """A UTC instant a payload records as ISO 8601 text (``...Z``), or None when it is not one."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None


def in_runs(runs: Any, start: datetime, step: timedelta) -> bool:
    """Whether ``start`` is one of the starts ``runs`` stand for (``[[first, count], ...]``, ``step``
    apart)."""
    if not isinstance(runs, list):
        return False
    for run in runs:
        if not (isinstance(run, list) and len(run) == 2 and isinstance(run[1], int)):
            continue
        first = payload_instant(run[0])
        if first is None or start < first:
            continue
        steps, rest = divmod(start - first, step)
        if not rest and steps < run[1]:
            return True
    return False


class Verdict(Enum):
    """What one plan made of a start."""

    CANDIDATE = "candidate"  # compliant: offered (its rank when the entry lists it)
    NEAR_MISS = "near_miss"  # broken only by waivable families: an exception could open it
    REJECTED = "rejected"  # broken by a family nobody may waive
    NOT_CONSIDERED = "not_considered"  # not on the plan's grid (outside its horizon or off the granularity)
    NOT_READY = "not_ready"  # no search was made (RCA not approved, a role unassigned)
    NOT_RECORDED = "not_recorded"  # a plan entry from before the rejected starts were recorded


@dataclass(frozen=True)
class PlanAnswer:
    """One plan entry's answer about a start: ``families`` that blocked it, in display order; ``rank``
    among the plan's candidates when the entry lists it (the first ten are listed)."""

    seq: int
    at: datetime
    verdict: Verdict
    status: str
    families: tuple[str, ...] = ()
    rank: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class SlotEvent:
    """An entry about the start outside the plans: a hold, a request offering it, a waiver, a decision."""

    seq: int
    at: datetime
    actor: str
    kind: str
    reason: str
    request: int | None = None
    family: str | None = None


@dataclass(frozen=True)
class SlotExplanation:
    """What the log says about one start: each plan's answer in order, the holds on it, and the exception
    requests offering it with what was decided (who, why)."""

    start: datetime
    plans: tuple[PlanAnswer, ...]
    holds: tuple[SlotEvent, ...]
    exceptions: tuple[SlotEvent, ...]
    others: tuple[SlotEvent, ...]


def _answer(entry: AuditEntry, start: datetime) -> PlanAnswer:
    p = entry.payload
    status, reason = str(p.get("status", "")), str(p.get("reason", ""))
    if entry.kind == "plan_not_ready":
        why = ", ".join(str(r) for r in p.get("not_ready", []))
        return PlanAnswer(entry.seq, entry.at, Verdict.NOT_READY, "not_ready", reason=why or reason)
    starts = p.get(STARTS)
    if not isinstance(starts, dict):
        return PlanAnswer(entry.seq, entry.at, Verdict.NOT_RECORDED, status, reason=reason)
    step = timedelta(minutes=int(starts.get("granularity_minutes", 0)) or 1)
    if not in_runs(starts.get("considered"), start, step):
        return PlanAnswer(entry.seq, entry.at, Verdict.NOT_CONSIDERED, status, reason=reason)
    rejected = starts.get("rejected") or {}
    families = tuple(
        sorted((f for f, runs in rejected.items() if in_runs(runs, start, step)), key=family_order)
    )
    if not families:
        offered = [
            payload_instant(c.get("start")) for c in p.get("candidates_offered", []) if isinstance(c, dict)
        ]
        rank = offered.index(start) + 1 if start in offered else None
        return PlanAnswer(entry.seq, entry.at, Verdict.CANDIDATE, status, rank=rank, reason=reason)
    verdict = Verdict.NEAR_MISS if set(families) <= WAIVABLE else Verdict.REJECTED
    return PlanAnswer(entry.seq, entry.at, verdict, status, families, reason=reason)


def _offers(payload: dict[str, Any], start: datetime) -> bool:
    return any(
        isinstance(o, dict) and payload_instant(o.get("start")) == start for o in payload.get("options", [])
    )


def _event(entry: AuditEntry) -> SlotEvent:
    p = entry.payload
    request = p.get("request")
    family = p.get("family")
    return SlotEvent(
        entry.seq,
        entry.at,
        entry.actor,
        entry.kind,
        str(p.get("reason", "")),
        request if isinstance(request, int) else None,
        family if isinstance(family, str) else None,
    )


def explain_start(entries: Sequence[AuditEntry], start: datetime) -> SlotExplanation:
    """What ``entries`` (one escalation's log, in order) say about the slot starting at ``start``: from the
    log alone, nothing re-planned."""
    start = start.astimezone(UTC)
    plans: list[PlanAnswer] = []
    holds: list[SlotEvent] = []
    exceptions: list[SlotEvent] = []
    others: list[SlotEvent] = []
    offering: set[int] = set()  # requests whose options include the start
    for entry in entries:
        p = entry.payload
        if entry.kind in PLAN_KINDS:
            plans.append(_answer(entry, start))
            continue
        mentions = payload_instant(p.get("start")) == start
        if entry.kind in _REQUEST_KINDS and _offers(p, start):
            if isinstance(p.get("request"), int):
                offering.add(p["request"])
            exceptions.append(_event(entry))
        elif entry.kind in _HOLD_KINDS and mentions:
            holds.append(_event(entry))
        elif (entry.kind in _DECISION_KINDS and mentions) or (
            entry.kind in _REQUEST_CLOSED and p.get("request") in offering
        ):
            exceptions.append(_event(entry))
        elif mentions:
            others.append(_event(entry))
    return SlotExplanation(start, tuple(plans), tuple(holds), tuple(exceptions), tuple(others))


def replay_problems(
    entries: Sequence[AuditEntry],
    state: str,
    live_holds: Sequence[datetime],
    waivers: Sequence[tuple[datetime, str]],
) -> list[str]:
    """Where the stored escalation disagrees with its own log: the state the last transition entry moved to,
    the holds the log placed and did not end (by slot start), and the waivers it recorded (slot start,
    family). Replays only what the log says; it does not re-decide anything."""
    problems: list[str] = []
    current: str | None = None
    for entry in entries:
        p = entry.payload
        if entry.kind not in _TRANSITIONS or "from" not in p or "to" not in p:
            continue
        if current is not None and p["from"] != current:
            problems.append(f"entry {entry.seq}: moves from {p['from']}, but the log left it {current}")
        current = str(p["to"])
    if current is not None and current != state:
        problems.append(f"stored state {state}, but the log's last transition leaves it {current}")
    placed: dict[datetime, int] = {}
    recorded: set[tuple[datetime, str]] = set()
    for entry in entries:
        moment = payload_instant(entry.payload.get("start"))
        if moment is None:
            continue
        if entry.kind == "hold_placed":
            placed[moment] = placed.get(moment, 0) + 1
        elif entry.kind in _HOLD_ENDS:
            placed[moment] = placed.get(moment, 0) - 1
        elif entry.kind == "waiver_recorded":
            recorded.add((moment, str(entry.payload.get("family"))))
    stored: dict[datetime, int] = {}
    for moment in live_holds:
        stored[moment.astimezone(UTC)] = stored.get(moment.astimezone(UTC), 0) + 1
    for moment in sorted(set(placed) | set(stored)):
        logged, kept = max(placed.get(moment, 0), 0), stored.get(moment, 0)
        if logged != kept:
            problems.append(
                f"live holds on {_utc(moment)}: {kept} in the ledger, {logged} by the log (placed, not ended)"
            )
    kept_waivers = {(m.astimezone(UTC), f) for m, f in waivers}
    for moment, family in sorted(kept_waivers - recorded):
        problems.append(f"waiver of {family} for {_utc(moment)} in the store, never recorded in the log")
    for moment, family in sorted(recorded - kept_waivers):
        problems.append(f"waiver of {family} for {_utc(moment)} recorded in the log, missing from the store")
    return problems
