"""The outcome measures (docs/outcomes.md): time from the RCA approval to the first viable slot, the share of
readouts confirmed without back-and-forth, escalations by cause, and deadlines met and missed.

The store selects and groups (``OutcomeRecords``: in SQL on a SQL store, ``adapters/sql/outcomes.py``); this
module folds the per-escalation facts into the measures, overall and per customer. Every instant is the one a
decision was made as of: an audit entry's payload ``as_of`` when present, else its ``at``; the ledgers' own
instants (requested, decided, ended) are already decision instants.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol, TypeVar

from readout.domain.audit import AS_OF
from readout.domain.intervals import utc_text
from readout.domain.names import CAB_BLACKOUT, COVERAGE, CUSTOMER_HOURS, HANDOFF_WINDOW, INTERPRETER, ROLES
from readout.errors import ReadoutError
from readout.services.context import Deps
from readout.services.ports import UnitOfWork

__all__ = [
    "CAUSES",
    "DEFINITIONS",
    "MOMENT_KINDS",
    "NOT_LOST",
    "CaseFacts",
    "Deadlines",
    "Escalated",
    "FirstPass",
    "InvalidPeriod",
    "LedgerRecords",
    "Measures",
    "Moment",
    "OutcomeRecords",
    "Outcomes",
    "RequestFacts",
    "Scope",
    "Spread",
    "TimeToViable",
    "duration_text",
    "instant_of",
    "measure",
]

# The audit entries that move the clock of the first measure.
MOMENT_KINDS = ("opened", "plan", "plan_not_ready", "approve_exception", "cancel")
# A hold ended for this reason did its job (the confirmation chose another one): not a lost hold.
NOT_LOST = "not chosen"
UNATTRIBUTED = "UNATTRIBUTED"
CAUSES = (
    INTERPRETER,
    CAB_BLACKOUT,
    COVERAGE,
    HANDOFF_WINDOW,
    CUSTOMER_HOURS,
    *(f"ATTENDEE:{role}" for role in ROLES),
    UNATTRIBUTED,
)
DEFINITIONS = {
    "in_scope": "escalations whose customer-safe RCA approval is recorded, approved (UTC date) within the "
    "period, for the customer when one is named",
    "time_to_viable": "from the RCA approval to the first viable slot: the first plan with status ready, or "
    "the first approved exception request; median and p90 (nearest rank) over the escalations that reached "
    "one; instants are each audit entry's as_of, else its recorded time",
    "human_wait": "the part of time_to_viable spent waiting for a person: before the case was opened in "
    "Readout, while an exception request waited for its decision, and while the case was not ready "
    "(plan_not_ready) until the next plan; overlaps counted once",
    "machine": "time_to_viable minus human_wait: Readout held the case with no decision pending (planning, "
    "re-planning as calendars changed)",
    "first_pass": "among readouts confirmed (even if later cancelled), the share with no lost hold (a hold "
    "that expired or was released before the confirmation for any reason but 'not chosen'), no confirmation "
    "refused by its fresh re-check, no second review and at most one exception request",
    "escalation_causes": "escalations with at least one exception request, counted once per cause named by "
    "any of their requests (the plan's causes: families that alone blocked a slot; ATTENDEE:role for a "
    "role holder); UNATTRIBUTED when no request named one",
    "deadlines": "met: the confirmed slot starts before the deadline; missed: it starts at or after it, or "
    "the readout is still open at as_of past the deadline, or it was cancelled unconfirmed at or after the "
    "deadline; pending: open before it; cancelled: cancelled before the deadline, apart",
}


def duration_text(seconds: int | None) -> str:
    """A duration as people read it: ``2 d 3 h``, ``3 h 30 min``, ``45 min`` (``n/a`` when None)."""
    if seconds is None:
        return "n/a"
    minutes = round(seconds / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def instant_of(at: datetime, as_of: str | None) -> datetime:
    """When an audit entry's decision was made: its payload's ``as_of`` when present, else ``at``."""
    if not as_of:
        return at
    return datetime.fromisoformat(as_of.replace("Z", "+00:00")).astimezone(UTC)


class InvalidPeriod(ReadoutError):
    """A period that ends before it starts (bad input: nothing is measured)."""

    def __init__(self, start: date, end: date) -> None:
        super().__init__(
            f"the period's --from {start.isoformat()} is after its --to {end.isoformat()}: "
            "give the first approval date first"
        )
        self.start, self.end = start, end


@dataclass(frozen=True)
class Scope:
    """Which escalations are measured: approved (UTC date) from ``start`` to ``end`` inclusive, of one
    customer (None: all)."""

    start: date | None = None
    end: date | None = None
    customer: str | None = None

    @property
    def since(self) -> datetime | None:
        return None if self.start is None else datetime.combine(self.start, time(), UTC)

    @property
    def until(self) -> datetime | None:
        """The first instant after the period (exclusive bound)."""
        return None if self.end is None else datetime.combine(self.end + timedelta(days=1), time(), UTC)

    def holds(self, customer: str, approved_at: datetime) -> bool:
        """Whether an escalation of ``customer`` approved at ``approved_at`` is in scope."""
        since, until = self.since, self.until
        return (
            (self.customer is None or customer == self.customer)
            and (since is None or approved_at >= since)
            and (until is None or approved_at < until)
        )


@dataclass(frozen=True)
class CaseFacts:
    """One escalation in scope, with its checkpoint counts as the store grouped them."""

    escalation_id: str
    customer_id: str
    state: str
    approved_at: datetime
    deadline: datetime | None
    confirmed_at: datetime | None
    confirmed_start: datetime | None
    reviews: int
    refused_confirmations: int
    lost_holds: int  # holds ended before the confirmation, not as "not chosen" (only when confirmed)
    exception_requests: int


@dataclass(frozen=True)
class Moment:
    """An audit entry of ``MOMENT_KINDS``, at the instant its decision was made; ``status`` of a plan."""

    escalation_id: str
    seq: int
    kind: str
    instant: datetime
    status: str | None


@dataclass(frozen=True)
class RequestFacts:
    """An exception request: how long it waited, why it was raised, who it went to."""

    escalation_id: str
    requested_at: datetime
    decided_at: datetime | None
    route: str
    causes: tuple[str, ...]


_Row = TypeVar("_Row", Moment, RequestFacts)


class OutcomeRecords(Protocol):
    """What the store selects for the measures (ordered by escalation, then instant or sequence)."""

    def cases(self, scope: Scope) -> list[CaseFacts]:
        """The escalations in scope."""
        ...

    def moments(self, scope: Scope) -> list[Moment]:
        """Their audit entries of ``MOMENT_KINDS``."""
        ...

    def requests(self, scope: Scope) -> list[RequestFacts]:
        """Their exception requests."""
        ...

    def awaiting_approval(self, customer: str | None) -> int:
        """Escalations (of ``customer``) whose RCA approval is not recorded yet."""
        ...


@dataclass(frozen=True)
class Spread:
    """Median and p90 of durations, in whole seconds (None when there is nothing to measure)."""

    median: int | None
    p90: int | None

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        if not values:
            return cls(None, None)
        ranked = sorted(values)
        p90 = ranked[max(math.ceil(0.9 * len(ranked)) - 1, 0)]
        return cls(round(statistics.median(ranked)), round(p90))

    def to_json(self) -> dict[str, int | None]:
        return {"median_s": self.median, "p90_s": self.p90}


@dataclass(frozen=True)
class TimeToViable:
    """Measure 1: approval to first viable slot, total and split into machine and human waiting."""

    reached: int
    not_yet: int
    total: Spread
    machine: Spread
    human_wait: Spread

    def to_json(self) -> dict[str, Any]:
        return {
            "reached": self.reached,
            "not_yet": self.not_yet,
            "total": self.total.to_json(),
            "machine": self.machine.to_json(),
            "human_wait": self.human_wait.to_json(),
        }


@dataclass(frozen=True)
class FirstPass:
    """Measure 2: confirmed readouts without back-and-forth, and why the others were not."""

    confirmed: int
    without_back_and_forth: int
    reasons: dict[str, int]

    @property
    def share(self) -> float | None:
        return round(self.without_back_and_forth / self.confirmed, 4) if self.confirmed else None

    def to_json(self) -> dict[str, Any]:
        return {
            "confirmed": self.confirmed,
            "without_back_and_forth": self.without_back_and_forth,
            "share": self.share,
            "reasons": dict(self.reasons),
        }


@dataclass(frozen=True)
class Escalated:
    """Measure 3: escalations (with an exception request), once per cause."""

    escalated: int
    to_support_leadership: int
    by_cause: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "escalated": self.escalated,
            "to_support_leadership": self.to_support_leadership,
            "by_cause": dict(self.by_cause),
        }


@dataclass(frozen=True)
class Deadlines:
    """Measure 4: deadlines met and missed as of the report's instant."""

    met: int = 0
    missed_late: int = 0  # confirmed for a slot starting at or after the deadline
    missed_open: int = 0  # still open past the deadline
    pending: int = 0
    cancelled: int = 0  # cancelled before the deadline (the readout was no longer needed)
    missed_cancelled: int = 0  # cancelled at or after the deadline, never confirmed: the deadline was missed

    def to_json(self) -> dict[str, int]:
        return {
            "met": self.met,
            "missed": self.missed_late + self.missed_open + self.missed_cancelled,
            "missed_confirmed_late": self.missed_late,
            "missed_still_open": self.missed_open,
            "missed_then_cancelled": self.missed_cancelled,
            "pending": self.pending,
            "cancelled": self.cancelled,
        }


@dataclass(frozen=True)
class Measures:
    """The four measures over one set of escalations."""

    escalations: int
    time_to_viable: TimeToViable
    first_pass: FirstPass
    causes: Escalated
    deadlines: Deadlines

    def to_json(self) -> dict[str, Any]:
        return {
            "escalations": self.escalations,
            "time_to_viable": self.time_to_viable.to_json(),
            "first_pass": self.first_pass.to_json(),
            "escalation_causes": self.causes.to_json(),
            "deadlines": self.deadlines.to_json(),
        }


@dataclass(frozen=True)
class Outcomes:
    """The report: the scope, the instant it was measured as of, the measures overall and per customer."""

    scope: Scope
    as_of: datetime
    awaiting_approval: int
    overall: Measures
    customers: dict[str, Measures] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """What ``readout report --json`` prints and ``GET /v1/report`` returns."""
        return {
            "period": {
                "from": self.scope.start.isoformat() if self.scope.start else None,
                "to": self.scope.end.isoformat() if self.scope.end else None,
                "customer": self.scope.customer,
            },
            "as_of": utc_text(self.as_of),
            "awaiting_approval": self.awaiting_approval,
            "overall": self.overall.to_json(),
            "customers": {name: m.to_json() for name, m in sorted(self.customers.items())},
            "definitions": dict(DEFINITIONS),
        }


def measure(
    deps: Deps, *, start: date | None = None, end: date | None = None, customer: str | None = None
) -> Outcomes:
    """The four measures over escalations approved from ``start`` to ``end`` (UTC dates, inclusive), for
    ``customer`` when given, as of the deps' clock (deadlines pending or missed)."""
    if start is not None and end is not None and start > end:
        raise InvalidPeriod(start, end)
    scope = Scope(start, end, customer or None)
    now = deps.clock()
    with deps.look() as uow:
        records: OutcomeRecords = getattr(uow, "outcomes", None) or LedgerRecords(uow)
        cases = records.cases(scope)
        moments = records.moments(scope)
        requests = records.requests(scope)
        awaiting = records.awaiting_approval(scope.customer)
    by_customer: dict[str, list[CaseFacts]] = {}
    for case in cases:
        by_customer.setdefault(case.customer_id, []).append(case)
    moments_of = _grouped(moments)
    requests_of = _grouped(requests)
    return Outcomes(
        scope,
        now,
        awaiting,
        _measures(cases, moments_of, requests_of, now),
        {name: _measures(group, moments_of, requests_of, now) for name, group in by_customer.items()},
    )


def _grouped(rows: Iterable[_Row]) -> dict[str, list[_Row]]:
    grouped: dict[str, list[_Row]] = {}
    for row in rows:
        grouped.setdefault(row.escalation_id, []).append(row)
    return grouped


def _measures(
    cases: list[CaseFacts],
    moments: dict[str, list[Moment]],
    requests: dict[str, list[RequestFacts]],
    now: datetime,
) -> Measures:
    return Measures(
        len(cases),
        _time_to_viable(cases, moments, requests),
        _first_pass(cases),
        _escalated(cases, requests),
        _deadlines(cases, moments, now),
    )


def _time_to_viable(
    cases: list[CaseFacts], moments: dict[str, list[Moment]], requests: dict[str, list[RequestFacts]]
) -> TimeToViable:
    totals: list[float] = []
    humans: list[float] = []
    for case in cases:
        split = _viable_split(case, moments.get(case.escalation_id, []), requests.get(case.escalation_id, []))
        if split is not None:
            totals.append(split[0])
            humans.append(split[1])
    machines = [t - h for t, h in zip(totals, humans, strict=True)]
    return TimeToViable(
        len(totals), len(cases) - len(totals), Spread.of(totals), Spread.of(machines), Spread.of(humans)
    )


def _viable_split(
    case: CaseFacts, moments: list[Moment], requests: list[RequestFacts]
) -> tuple[float, float] | None:
    """(total, human waiting) in seconds from approval to the first viable slot; None when none yet."""
    ordered = sorted(moments, key=lambda m: (m.instant, m.seq))
    viable = next(
        (
            m.instant
            for m in ordered
            if m.kind == "approve_exception" or (m.kind, m.status) == ("plan", "ready")
        ),
        None,
    )
    if viable is None:
        return None
    approved = case.approved_at
    viable = max(viable, approved)  # a plan made as of before the approval instant counts as zero
    waits = [(r.requested_at, r.decided_at or viable) for r in requests]
    opened = next((m.instant for m in ordered if m.kind == "opened"), approved)
    waits.append((approved, opened))
    since: datetime | None = None
    for m in ordered:
        if m.kind == "plan_not_ready" and since is None:
            since = m.instant
        elif m.kind == "plan" and since is not None:
            waits.append((since, m.instant))
            since = None
    if since is not None:
        waits.append((since, viable))
    human = _covered(waits, approved, viable)
    return (viable - approved).total_seconds(), human


def _covered(spans: list[tuple[datetime, datetime]], low: datetime, high: datetime) -> float:
    """Seconds of [low, high) covered by the union of ``spans``."""
    clipped = sorted((max(a, low), min(b, high)) for a, b in spans if min(b, high) > max(a, low))
    total, reach = 0.0, low
    for a, b in clipped:
        if b > reach:
            total += (b - max(a, reach)).total_seconds()
            reach = b
    return total


def _first_pass(cases: list[CaseFacts]) -> FirstPass:
    confirmed = [c for c in cases if c.confirmed_at is not None]
    checks: dict[str, Callable[[CaseFacts], bool]] = {
        "lost_hold": lambda c: c.lost_holds > 0,
        "failed_recheck": lambda c: c.refused_confirmations > 0,
        "second_review": lambda c: c.reviews > 1,
        "repeated_exception": lambda c: c.exception_requests > 1,
    }
    reasons = {name: sum(1 for c in confirmed if check(c)) for name, check in checks.items()}
    clean = sum(1 for c in confirmed if not any(check(c) for check in checks.values()))
    return FirstPass(len(confirmed), clean, reasons)


def _escalated(cases: list[CaseFacts], requests: dict[str, list[RequestFacts]]) -> Escalated:
    by_cause = dict.fromkeys(CAUSES, 0)
    escalated = leadership = 0
    for case in cases:
        mine = requests.get(case.escalation_id, [])
        if not mine:
            continue
        escalated += 1
        leadership += any(r.route == "support_leadership" for r in mine)
        causes = {cause for r in mine for cause in r.causes} or {UNATTRIBUTED}
        for cause in causes:
            by_cause[cause] = by_cause.get(cause, 0) + 1
    return Escalated(escalated, leadership, by_cause)


def _deadlines(cases: list[CaseFacts], moments: dict[str, list[Moment]], now: datetime) -> Deadlines:
    met = late = still_open = pending = cancelled = gave_up = 0
    for case in cases:
        if case.state == "cancelled":
            when = [m.instant for m in moments.get(case.escalation_id, []) if m.kind == "cancel"]
            unconfirmed = case.confirmed_at is None
            if unconfirmed and case.deadline is not None and when and max(when) >= case.deadline:
                gave_up += 1  # cancelled because the deadline had passed: missed, not merely cancelled
            else:
                cancelled += 1
        elif case.confirmed_at is not None and case.confirmed_start is not None:
            if case.deadline is None or case.confirmed_start < case.deadline:
                met += 1
            else:
                late += 1
        elif case.deadline is not None and now >= case.deadline:
            still_open += 1
        else:
            pending += 1
    return Deadlines(met, late, still_open, pending, cancelled, gave_up)


class LedgerRecords:
    """``OutcomeRecords`` read through the store's ports, in Python: the in-memory store's answer (a SQL store
    answers in SQL with ``adapters/sql/outcomes.py``; both give the same facts)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    def _escalations(self, scope: Scope) -> list[Any]:
        found = [
            e
            for e in self._uow.escalations.list()
            if e.approved_at is not None and scope.holds(e.customer_id, e.approved_at)
        ]
        return sorted(found, key=lambda e: e.id)

    def cases(self, scope: Scope) -> list[CaseFacts]:
        facts = []
        for esc in self._escalations(scope):
            kinds = [entry.kind for entry in self._uow.audit.entries(esc.id)]
            lost = [
                h
                for h in self._uow.holds.of(esc.id)
                if esc.confirmed_at is not None
                and h.status.value in ("expired", "released")
                and h.end_reason != NOT_LOST
                and h.ended_at is not None
                and h.ended_at <= esc.confirmed_at
            ]
            confirmed_start = esc.review_slot.start if esc.confirmed_at and esc.review_slot else None
            facts.append(
                CaseFacts(
                    esc.id, esc.customer_id, esc.state.value, esc.approved_at, esc.deadline, esc.confirmed_at,
                    confirmed_start, kinds.count("review"), kinds.count("confirmation_refused"), len(lost),
                    len(self._uow.exceptions.of(esc.id)),
                )
            )  # fmt: skip
        return facts

    def moments(self, scope: Scope) -> list[Moment]:
        return [
            Moment(esc.id, e.seq, e.kind, instant_of(e.at, e.payload.get(AS_OF)), e.payload.get("status"))
            for esc in self._escalations(scope)
            for e in self._uow.audit.entries(esc.id)
            if e.kind in MOMENT_KINDS
        ]

    def requests(self, scope: Scope) -> list[RequestFacts]:
        return [
            RequestFacts(esc.id, r.requested_at, r.decided_at, r.route.value, tuple(r.causes))
            for esc in self._escalations(scope)
            for r in self._uow.exceptions.of(esc.id)
        ]

    def awaiting_approval(self, customer: str | None) -> int:
        return sum(
            1
            for e in self._uow.escalations.list()
            if e.approved_at is None and (customer is None or e.customer_id == customer)
        )
