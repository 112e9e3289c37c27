"""Use cases: place, extend and release tentative holds, and reap expired ones.

Decide, commit, then act: a hold is recorded in the ledger (where a unique index keeps one live hold per
escalation and slot, also across processes) together with the intent to put it on the organizer's calendar
and its audit entry; only after that commit is the calendar written (``services.effects``). A calendar that
refuses the slot ends every hold placed by the same command and sends the escalation back to planning; a
calendar that does not answer leaves the hold recorded and its placing pending, retried by ``reap``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from readout.domain.case_document import LoadedCase
from readout.domain.effects import Effect
from readout.domain.eligibility import Eligible, eligible_slots
from readout.domain.escalation import Escalation
from readout.domain.holds import Hold, HoldStatus, hold_uid
from readout.domain.intervals import Interval, utc_text
from readout.domain.lifecycle import Action
from readout.domain.sources import RemoteSource
from readout.domain.users import SYSTEM, Permission, User
from readout.errors import ReadoutError, Refused
from readout.services.context import Deps, actor, load_escalation, slot_text, stored_case
from readout.services.effects import (
    Carried,
    after_hold_loss,
    carry_out,
    effects_of,
    end_with_release,
    place_effect,
)
from readout.services.ports import UnitOfWork

__all__ = ["HoldOutcome", "extend_holds", "hold_slots", "reap", "reconcile", "release_holds", "settle"]

log = logging.getLogger(__name__)

_ORPHAN_PAST, _ORPHAN_FUTURE = timedelta(days=7), timedelta(days=400)  # where reconciling looks for holds


@dataclass(frozen=True)
class HoldOutcome:
    """Holds recorded (or kept) by a hold call, what became of their calendar effects, and why it stopped
    if it did."""

    escalation: Escalation
    live: tuple[Hold, ...]
    placed: tuple[Hold, ...]
    problem: str | None = None
    effects: tuple[Effect, ...] = ()


def _organizer_calendar(loaded: LoadedCase) -> str:
    """Holds go on the escalation manager's calendar (they organise the readout): a CalDAV collection when
    their calendar is one, else the ledger only, under their person id."""
    organizer = loaded.case.roles["escalation_manager"] or "organizer"
    source = loaded.calendars.get(organizer)
    if isinstance(source, RemoteSource) and source.is_caldav:
        return source.shown
    return organizer


def _live(uow: UnitOfWork, esc: Escalation, now: datetime) -> tuple[Hold, ...]:
    return tuple(h for h in uow.holds.of(esc.id) if h.is_live(now))


def hold_slots(deps: Deps, escalation_id: str, user_id: str) -> HoldOutcome:
    """Hold the best eligible slots (``holds.count``), each expiring after ``holds.ttl_hours``."""
    now = deps.clock()
    with deps.uow() as uow:
        user = actor(uow, user_id, Permission.HOLD)
        esc = load_escalation(uow, escalation_id)
        esc.require(Action.HOLD)
        decided = _expire_overdue(uow, esc, now)  # the reaper may not have run yet
        loaded = stored_case(deps, uow, esc)
        wanted = _wanted(uow, esc, loaded.case.hold_count)
        placed = _record_holds(uow, esc, loaded, wanted, user, now, decided)
        esc.transition(Action.HOLD, now, user.id, {"placed": len(placed), "live": len(_live(uow, esc, now))})
        uow.escalations.save(esc)
        uow.commit()
    return settle(deps, esc.id, tuple(placed), decided)


def _wanted(uow: UnitOfWork, esc: Escalation, count: int) -> list[Eligible]:
    """The best ``count`` eligible slots of the latest plan; Refused when there is none."""
    plan = uow.plans.latest(esc.id)
    wanted = eligible_slots(plan, uow.waivers.of(esc.id))[:count] if plan else []
    if not wanted:
        raise Refused(f"{esc.id} has no eligible slot to hold: plan again or request an exception")
    return wanted


def _record_holds(
    uow: UnitOfWork,
    esc: Escalation,
    loaded: LoadedCase,
    wanted: list[Eligible],
    user: User,
    now: datetime,
    decided: list[Effect],
) -> list[Hold]:
    """Record a live hold per wanted slot not held yet (idempotent) with the intent to put it on the
    organizer's calendar and its audit entry; the holds recorded."""
    case = loaded.case
    calendar = _organizer_calendar(loaded)
    zone = _organizer_zone(loaded)
    batch = f"hold@{esc.id}#{esc.audit_seq}"
    placed: list[Hold] = []
    for option in wanted:
        uid = hold_uid(esc.id, option.slot, calendar)
        stored = uow.holds.add(Hold(0, uid, esc.id, option.slot, calendar, now, now + case.hold_ttl))
        if stored is None:
            continue  # already held live: holding is idempotent
        placed.append(stored)
        decided.append(place_effect(uow, stored, zone, batch, now))
        payload = {**slot_text(stored.slot), "calendar": calendar, "expires_at": utc_text(stored.expires_at)}
        esc.record(now, user.id, "hold_placed", payload)
    return placed


def _organizer_zone(loaded: LoadedCase) -> ZoneInfo | None:
    organizer = loaded.case.people.get(loaded.case.roles["escalation_manager"] or "")
    return organizer.zone if organizer else None


def settle(deps: Deps, escalation_id: str, placed: tuple[Hold, ...], decided: list[Effect]) -> HoldOutcome:
    """Carry out what a hold command decided, plan again when a calendar refused a slot, and report."""
    carried = carry_out(deps, escalation_id)
    problem = _replan_after(deps, carried)
    now = deps.clock()
    with deps.uow() as uow:
        esc = load_escalation(uow, escalation_id)
        live = _live(uow, esc, now)
    return HoldOutcome(esc, live, placed, problem, effects_of(deps, (e.id for e in decided)))


def _replan_after(deps: Deps, carried: Carried) -> str | None:
    from readout.services.escalations import replan_stored  # planning imports holding's effects

    problem = None
    for escalation_id, why in carried.replan.items():
        problem = f"{why}; re-planned"
        try:
            replan_stored(deps, escalation_id, None, why)
        except ReadoutError as failure:
            problem = f"{why}; planning again failed: {failure}"
    return problem


def _expire_overdue(uow: UnitOfWork, esc: Escalation, now: datetime) -> list[Effect]:
    return [
        end_with_release(uow, esc, hold, HoldStatus.EXPIRED, now, SYSTEM.id, "expired")
        for hold in uow.holds.of(esc.id)
        if hold.status is HoldStatus.LIVE and hold.expires_at <= now
    ]


def extend_holds(deps: Deps, escalation_id: str, user_id: str, ttl: timedelta | None = None) -> HoldOutcome:
    """Push every live hold's expiry to ``now + ttl`` (default: the case's ``ttl_hours``)."""
    now = deps.clock()
    with deps.uow() as uow:
        user = actor(uow, user_id, Permission.HOLD)
        esc = load_escalation(uow, escalation_id)
        ttl = ttl or stored_case(deps, uow, esc).case.hold_ttl
        live = _live(uow, esc, now)
        if not live:
            raise Refused(f"{esc.id} has no live hold to extend")
        for hold in live:
            longer = hold.extended(now, ttl)
            uow.holds.update(longer)
            esc.record(
                now,
                user.id,
                "hold_extended",
                {**slot_text(hold.slot), "expires_at": utc_text(longer.expires_at)},
            )
        uow.escalations.save(esc)
        uow.commit()
        return HoldOutcome(esc, _live(uow, esc, now), ())


def release_holds(
    deps: Deps,
    escalation_id: str,
    user_id: str,
    start: datetime | None = None,
    reason: str = "released by hand",
) -> HoldOutcome:
    """Release live holds (all, or the one starting at ``start``). Releasing nothing is not an error."""
    now = deps.clock()
    with deps.uow() as uow:
        user = actor(uow, user_id, Permission.HOLD)
        esc = load_escalation(uow, escalation_id)
        decided = [
            end_with_release(uow, esc, hold, HoldStatus.RELEASED, now, user.id, reason)
            for hold in uow.holds.of(esc.id)
            if hold.status is HoldStatus.LIVE and (start is None or hold.slot.start == start)
        ]
        after_hold_loss(uow, esc, now)
        uow.escalations.save(esc)
        uow.commit()
    return settle(deps, esc.id, (), decided)


def reap(deps: Deps) -> list[Hold]:
    """Expire every live hold past its expiry, across escalations, then carry out every due effect (what a
    crashed or failed command left, retries); safe to run from several processes."""
    now = deps.clock()
    reaped: list[Hold] = []
    with deps.uow() as uow:
        expired_ids = sorted({h.escalation_id for h in uow.holds.expired(now)})
    for escalation_id in expired_ids:
        try:
            reaped += _reap_one(deps, escalation_id, now)
        except ReadoutError as failure:  # one escalation in trouble must not stop the others
            log.warning("reaping %s failed: %s", escalation_id, failure)
    _replan_after(deps, carry_out(deps))
    reconcile(deps)
    return reaped


def reconcile(deps: Deps) -> list[Hold]:
    """Release holds Readout placed that its ledger does not know (orphans, e.g. from a version that wrote
    the calendar before committing), on every CalDAV calendar the ledger writes to; each is audited on its
    escalation when that exists. The calendar is listed before the ledger is read: a hold reaches a calendar
    only after its ledger row was committed, so a hold being placed right now is never taken for an orphan."""
    now = deps.clock()
    with deps.look() as uow:
        calendars = sorted({h.calendar for e in uow.escalations.list() for h in uow.holds.of(e.id)})
    found: list[Hold] = []
    for calendar in calendars:
        try:
            found += deps.holds.marked(calendar, Interval(now - _ORPHAN_PAST, now + _ORPHAN_FUTURE))
        except ReadoutError as failure:  # the next round tries again
            log.warning("listing holds on %s failed: %s", calendar, failure)
    with deps.look() as uow:
        known = {h.uid for e in uow.escalations.list() for h in uow.holds.of(e.id)}
    released: list[Hold] = []
    for orphan in (h for h in found if h.uid not in known):
        try:
            deps.holds.release(orphan)
        except ReadoutError as failure:
            log.warning("orphan hold %s left alone: %s", orphan.uid, failure)
            continue
        released.append(orphan)
        _audit_orphan(deps, orphan)
    return released


def _audit_orphan(deps: Deps, orphan: Hold) -> None:
    now = deps.clock()
    with deps.uow() as uow:
        esc = uow.escalations.get(orphan.escalation_id)
        if esc is None:
            log.warning("released orphan hold %s of unknown escalation %s", orphan.uid, orphan.escalation_id)
            return
        reason = "on the calendar but not in the ledger (an interrupted hold)"
        esc.record(
            now,
            SYSTEM.id,
            "orphan_hold_released",
            {**slot_text(orphan.slot), "calendar": orphan.calendar, "reason": reason},
        )
        uow.escalations.save(esc)
        uow.commit()


def _reap_one(deps: Deps, escalation_id: str, now: datetime) -> list[Hold]:
    """Expire one escalation's overdue holds (the row lock makes a concurrent reaper wait, then find none)."""
    with deps.uow() as uow:
        esc = load_escalation(uow, escalation_id)
        reaped = [h for h in uow.holds.of(esc.id) if h.status is HoldStatus.LIVE and h.expires_at <= now]
        _expire_overdue(uow, esc, now)
        after_hold_loss(uow, esc, now)
        uow.escalations.save(esc)
        uow.commit()
    return reaped
