"""A hand-computed store for the outcome measures (docs/outcomes.md), written through the store's ports with
the domain's own objects: each escalation's audit entries are recorded "as of" November 2026 while the wall
clock says otherwise, so every entry carries ``as_of`` and the measures must read it, not ``at``.

Six escalations; the measures, worked by hand (hours after the approval instant):

* ESC-A (acme): approved 11-02 10:00, opened 12:00 with a plan needing an exception (nothing asked), ready at
  14:00 (calendars changed): total 4 h, human 2 h (before opening), machine 2 h. One review; confirmed 11-03
  for 11-05 15:00, deadline 11-09 23:00: met, no back-and-forth (the other hold ended "not chosen").
* ESC-B (acme): approved 11-03 08:00, opened and planned at once: a waiver request (COVERAGE, CAB_BLACKOUT)
  approved at 11:00: total 3 h, all human. A hold expired, reviewed twice; confirmed for 11-10 16:00, after its
  deadline 11-10 12:00: missed (confirmed late); back-and-forth: lost hold, second review.
* ESC-C (globex): approved 11-05 09:00, not ready at 09:00, planned 10:00 with no near miss: to support
  leadership (INTERPRETER, ATTENDEE:fix_owner), superseded at 12:00 by a second request (INTERPRETER) still
  open. No viable slot; deadline 11-12 passed: missed (still open). Escalated once per cause.
* ESC-D (globex): approved 11-20 00:00, opened 01:00 ready: total 1 h, human 1 h. Deadline 11-27: pending.
* ESC-E (globex): RCA not approved: awaiting approval, outside every measure.
* ESC-F (globex): approved 11-06 00:00, not ready until a ready plan at 06:00: total 6 h, human 6 h. Its first
  confirmation was refused by the re-check; confirmed, then cancelled: cancelled (failed re-check).

Measured as of 2026-11-20 12:00 UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from readout.adapters.sql import SqlUnitOfWork
from readout.adapters.sql.outcomes import SqlOutcomeRecords
from readout.domain.escalation import Escalation
from readout.domain.exception_requests import Decision, ExceptionRequest, Route
from readout.domain.holds import Hold, HoldStatus
from readout.domain.intervals import Interval
from readout.domain.lifecycle import State
from readout.services.ports import UnitOfWork
from tests.support.db_fixtures import Store

AS_OF = datetime(2026, 11, 20, 12, tzinfo=UTC)
H = 3600


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def _slot(day: int, hour: int) -> Interval:
    return Interval(at(day, hour), at(day, hour) + timedelta(hours=1))


class _Writer:
    """One escalation being written: audit entries as of given instants, holds and requests."""

    def __init__(self, uow: UnitOfWork, esc: Escalation) -> None:
        self.uow, self.esc = uow, esc

    def entry(self, when: datetime, kind: str, **payload: Any) -> None:
        self.esc.record(when, "paula", kind, payload)

    def hold(
        self, slot: Interval, placed: datetime, end: HoldStatus | None, ended: datetime, why: str
    ) -> None:
        stored = self.uow.holds.add(
            Hold(
                0, f"{self.esc.id}/{slot.start:%d%H}", self.esc.id, slot, "cal", placed, placed + timedelta(1)
            )
        )
        assert stored is not None
        if end is not None:
            self.uow.holds.update(stored.ended(end, ended, why))

    def request(
        self, when: datetime, route: Route, causes: tuple[str, ...], decided: tuple[Decision, datetime] | None
    ) -> None:
        stored = self.uow.exceptions.add(
            ExceptionRequest(0, self.esc.id, when, "readout", route, causes, (), self.esc.deadline, "no slot")
        )
        if decided is not None:
            self.uow.exceptions.update(stored.decided(decided[0], "omar", decided[1], "ok"))


def _escalation(
    escalation_id: str, customer: str, approved: datetime | None, deadline: datetime | None
) -> Escalation:
    return Escalation(
        id=escalation_id,
        case_digest="0" * 64,
        customer_id=customer,
        opened_at=approved or at(1, 0),
        approved_at=approved,
        deadline=deadline,
    )


def _write(uow: UnitOfWork, esc: Escalation, build: Callable[[_Writer], None]) -> None:
    writer = _Writer(uow, esc)
    build(writer)
    uow.escalations.add(esc)


def _a(w: _Writer) -> None:
    w.entry(at(2, 12), "opened", customer="acme")
    w.entry(at(2, 12), "plan", status="needs_exception")
    w.entry(at(2, 14), "plan", status="ready")
    w.hold(_slot(5, 15), at(2, 15), HoldStatus.CONFIRMED, at(3, 9), "confirmed")
    w.hold(_slot(6, 15), at(2, 15), HoldStatus.RELEASED, at(3, 9), "not chosen")
    w.entry(at(3, 8), "review", start="2026-11-05T15:00:00Z")
    w.entry(at(3, 9), "confirm", start="2026-11-05T15:00:00Z")
    w.esc.state, w.esc.confirmed_at, w.esc.review_slot = State.CONFIRMED, at(3, 9), _slot(5, 15)


def _b(w: _Writer) -> None:
    w.entry(at(3, 8), "opened", customer="acme")
    w.entry(at(3, 8), "plan", status="needs_exception")
    w.request(at(3, 8), Route.WAIVER_APPROVERS, ("COVERAGE", "CAB_BLACKOUT"), (Decision.APPROVED, at(3, 11)))
    w.entry(at(3, 8), "request_exception", request=1)
    w.entry(at(3, 11), "approve_exception", request=1)
    w.hold(_slot(9, 16), at(3, 12), HoldStatus.EXPIRED, at(4, 12), "expired")
    w.hold(_slot(10, 16), at(3, 12), HoldStatus.CONFIRMED, at(4, 15), "confirmed")
    w.entry(at(3, 13), "review", start="2026-11-09T16:00:00Z")
    w.entry(at(4, 14), "review", start="2026-11-10T16:00:00Z")
    w.entry(at(4, 15), "confirm", start="2026-11-10T16:00:00Z")
    w.esc.state, w.esc.confirmed_at, w.esc.review_slot = State.CONFIRMED, at(4, 15), _slot(10, 16)


def _c(w: _Writer) -> None:
    w.entry(at(5, 9), "opened", customer="globex")
    w.entry(at(5, 9), "plan_not_ready", status="not_ready")
    w.entry(at(5, 10), "plan", status="needs_exception")
    w.request(
        at(5, 10),
        Route.SUPPORT_LEADERSHIP,
        ("INTERPRETER", "ATTENDEE:fix_owner"),
        (Decision.SUPERSEDED, at(5, 12)),
    )
    w.entry(at(5, 12), "plan", status="needs_exception")
    w.request(at(5, 12), Route.SUPPORT_LEADERSHIP, ("INTERPRETER",), None)
    w.esc.state = State.ESCALATED


def _d(w: _Writer) -> None:
    w.entry(at(20, 1), "opened", customer="globex")
    w.entry(at(20, 1), "plan", status="ready")
    w.esc.state = State.PLANNED


def _e(w: _Writer) -> None:
    w.entry(at(7, 0), "opened", customer="globex")
    w.entry(at(7, 0), "plan_not_ready", status="not_ready")


def _f(w: _Writer) -> None:
    w.entry(at(6, 0), "opened", customer="globex")
    w.entry(at(6, 0), "plan_not_ready", status="not_ready")
    w.entry(at(6, 6), "plan", status="ready")
    w.hold(_slot(8, 9), at(6, 7), HoldStatus.RELEASED, at(8, 12), "escalation cancelled")
    w.entry(at(6, 8), "review", start="2026-11-08T09:00:00Z")
    w.entry(at(6, 9), "confirmation_refused", reason="free/busy changed")
    w.entry(at(6, 9), "confirm", start="2026-11-08T09:00:00Z")
    w.entry(at(6, 12), "cancel", reason="customer withdrew")
    w.esc.state, w.esc.confirmed_at, w.esc.review_slot = State.CANCELLED, at(6, 9), _slot(8, 9)


def write_outcome_store(store: Callable[[], UnitOfWork]) -> None:
    """Write the six escalations above into an empty store."""
    with store() as uow:
        _write(uow, _escalation("ESC-A", "acme", at(2, 10), at(9, 23)), _a)
        _write(uow, _escalation("ESC-B", "acme", at(3, 8), at(10, 12)), _b)
        _write(uow, _escalation("ESC-C", "globex", at(5, 9), at(12, 9)), _c)
        _write(uow, _escalation("ESC-D", "globex", at(20, 0), at(27, 0)), _d)
        _write(uow, _escalation("ESC-E", "globex", None, None), _e)
        _write(uow, _escalation("ESC-F", "globex", at(6, 0), at(13, 0)), _f)
        uow.commit()


def measured_by_sql(store: Store) -> Callable[[], UnitOfWork]:
    """Units of work on ``store`` that answer the measures in SQL (``uow.outcomes``), as a SQL store wired
    with ``adapters/sql/outcomes.py`` does; the memory store's own units of work otherwise."""
    if store.engine is None:
        return store
    engine = store.engine

    class Wired(SqlUnitOfWork):
        def __enter__(self) -> SqlUnitOfWork:
            uow = super().__enter__()
            assert uow._connection is not None
            self.outcomes = SqlOutcomeRecords(uow._connection)
            return uow

    return lambda: Wired(engine)
