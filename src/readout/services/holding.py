"""Use cases: place, extend and release tentative holds, and reap expired ones.

Decide, commit, then act: a hold is recorded in the ledger (where a unique index keeps one live hold per
escalation and slot, also across processes) together with the intent to put it on its calendars (every
internal role holder's Readout may write to, else the organizer's CalDAV collection, else none: kept in the
ledger only) and its audit entry; only after that commit are the calendars written (``services.effects``). A
calendar that refuses the slot ends every hold placed by the same command, takes off what was already placed,
and sends the escalation back to planning; a calendar that does not answer leaves the hold recorded and its
placing pending, retried by ``reap``."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from readout.domain.case_document import LoadedCase
from readout.domain.effects import Effect
from readout.domain.eligibility import Eligible, eligible_slots, nearest, spread
from readout.domain.escalation import Escalation
from readout.domain.holds import LEDGER_ONLY, Hold, HoldStatus, Placement, hold_uid
from readout.domain.intervals import Interval, utc_text
from readout.domain.lifecycle import Action
from readout.domain.sources import CalendarSource, RemoteSource
from readout.domain.users import SYSTEM, Permission, User
from readout.errors import ReadoutError, Refused
from readout.services import announcements
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

__all__ = [
    "HoldOutcome",
    "extend_holds",
    "hold_placements",
    "hold_slots",
    "reap",
    "reconcile",
    "release_holds",
    "settle",
]

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


_HOLDERS = ("escalation_manager", "fix_owner", "customer_success_director")  # internal role holders


def hold_placements(loaded: LoadedCase, escalation_id: str, slot: Interval) -> tuple[Placement, ...]:
    """Where a hold on ``slot`` goes: the calendar of every internal role holder Readout may write to (their
    ``hold_calendar``, else their own ``calendar`` when it is a CalDAV collection), one placement per
    collection; with none, the organizer's person id: the hold is kept in the ledger only."""
    case = loaded.case
    found: dict[str, Placement] = {}
    for role in _HOLDERS:
        person_id = case.roles.get(role)
        if not person_id:
            continue
        own = loaded.hold_calendars.get(person_id)
        calendar = _writable(own) or _writable(loaded.calendars.get(person_id))
        if calendar and calendar not in found:
            found[calendar] = Placement(
                calendar, person_id, _zone_key(loaded, person_id), hold_uid(escalation_id, slot, calendar)
            )
    if found:
        return tuple(found.values())
    organizer = case.roles.get("escalation_manager") or "organizer"
    uid = hold_uid(escalation_id, slot, organizer)
    return (Placement(organizer, organizer, _zone_key(loaded, organizer), uid),)


def _writable(source: CalendarSource | None) -> str | None:
    if isinstance(source, RemoteSource) and source.is_caldav:
        return source.shown
    return None


def _zone_key(loaded: LoadedCase, person_id: str) -> str | None:
    person = loaded.case.people.get(person_id)
    return person.zone.key if person else None


def _live(uow: UnitOfWork, esc: Escalation, now: datetime) -> tuple[Hold, ...]:
    return tuple(h for h in uow.holds.of(esc.id) if h.is_live(now))


def hold_slots(deps: Deps, escalation_id: str, user_id: str, slot: datetime | None = None) -> HoldOutcome:
    """Hold the best eligible slots, spread over days and times (``holds.count`` live holds in all), or only
    the eligible slot starting at ``slot``; each expires after ``holds.ttl_hours``."""
    now = deps.clock()
    with deps.uow() as uow:
        user = actor(uow, user_id, Permission.HOLD)
        esc = load_escalation(uow, escalation_id)
        esc.require(Action.HOLD)
        decided = _expire_overdue(uow, esc, now)  # the reaper may not have run yet
        loaded = stored_case(deps, uow, esc)
        eligible = _eligible(uow, esc)
        if slot is None:
            kept = [h.slot for h in _live(uow, esc, now) if any(e.slot == h.slot for e in eligible)]
            wanted = spread(eligible, loaded.case.hold_count, loaded.case.customer_zone, kept)
        else:
            wanted = [_chosen(esc, eligible, slot, loaded.case.customer_zone)]
        placed = _record_holds(uow, esc, loaded, wanted, user, now, decided)
        esc.transition(Action.HOLD, now, user.id, {"placed": len(placed), "live": len(_live(uow, esc, now))})
        uow.escalations.save(esc)
        announcements.holds_ended(deps, uow, esc, SYSTEM, now)
        announcements.holds_placed(deps, uow, esc, placed, user, now)
        uow.commit()
    return settle(deps, esc.id, tuple(placed), decided)


def _eligible(uow: UnitOfWork, esc: Escalation) -> list[Eligible]:
    """The eligible slots of the latest plan, best first; Refused when there is none."""
    plan = uow.plans.latest(esc.id)
    eligible = eligible_slots(plan, uow.waivers.of(esc.id)) if plan else []
    if not eligible:
        raise Refused(f"{esc.id} has no eligible slot to hold: plan again or request an exception")
    return eligible


def _chosen(esc: Escalation, eligible: list[Eligible], start: datetime, zone: ZoneInfo) -> Eligible:
    """The eligible slot starting at ``start``; Refused naming it and the nearest eligible starts."""
    found = next((e for e in eligible if e.slot.start == start), None)
    if found is not None:
        return found
    near = "; ".join(_when(e.slot.start, zone) for e in nearest(eligible, start))
    raise Refused(
        f"{_when(start, zone)} is not an eligible slot of {esc.id}: nearest eligible starts: {near}"
        " (hold one with --slot, or plan again)"
    )


def _when(moment: datetime, zone: ZoneInfo) -> str:
    """``Tue 17 Nov 12:00 America/Mexico_City (2026-11-17T18:00:00Z)``: contract zone time, then UTC."""
    return f"{moment.astimezone(zone):%a %d %b %H:%M} {zone.key} ({utc_text(moment)})"


def _record_holds(
    uow: UnitOfWork,
    esc: Escalation,
    loaded: LoadedCase,
    wanted: list[Eligible],
    user: User,
    now: datetime,
    decided: list[Effect],
) -> list[Hold]:
    """Record a live hold per wanted slot not held yet (idempotent) with the intent to put it on its
    calendars and its audit entry; the holds recorded."""
    case = loaded.case
    batch = f"hold@{esc.id}#{esc.audit_seq}"
    placed: list[Hold] = []
    for option in wanted:
        where = hold_placements(loaded, esc.id, option.slot)
        first = where[0]
        hold = Hold(
            0, first.uid, esc.id, option.slot, first.calendar, now, now + case.hold_ttl, placements=where
        )
        stored = uow.holds.add(hold)
        if stored is None:
            continue  # already held live: holding is idempotent
        placed.append(stored)
        decided.append(place_effect(uow, stored, case.customer_zone, batch, now))
        esc.record(now, user.id, "hold_placed", {**_where(stored), "expires_at": utc_text(stored.expires_at)})
    return placed


def _where(hold: Hold) -> dict[str, Any]:
    """The slot and where the hold goes, for the audit trail (a ledger-only hold names no calendar)."""
    if hold.ledger_only:
        return {**slot_text(hold.slot), "calendar": None, "calendars": [], "kept": LEDGER_ONLY}
    calendars = [p.calendar for p in hold.targets if p.on_a_calendar]
    people = [p.person for p in hold.targets if p.on_a_calendar]
    return {**slot_text(hold.slot), "calendar": calendars[0], "calendars": calendars, "people": people}


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
        announcements.holds_ended(deps, uow, esc, user, now)
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
    the calendar before committing), on every CalDAV calendar the ledger put a hold on whose slot ends less
    than a week ago or later (older holds are nobody's concern); each is audited on its escalation when that
    exists. The calendar is listed before the ledger is read: a hold reaches a calendar
    only after its ledger row was committed, so a hold being placed right now is never taken for an orphan."""
    now = deps.clock()
    window = Interval(now - _ORPHAN_PAST, now + _ORPHAN_FUTURE)  # holds long past are nobody's concern
    with deps.look() as uow:
        calendars = sorted({p.calendar for p in uow.holds.targets(window.start)})
    found: list[Hold] = []
    for calendar in calendars:
        try:
            found += deps.holds.marked(calendar, window)
        except ReadoutError as failure:  # the next round tries again
            log.warning("listing holds on %s failed: %s", calendar, failure)
    with deps.look() as uow:
        known = {p.uid for p in uow.holds.targets(window.start)}
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
        announcements.holds_ended(deps, uow, esc, SYSTEM, now)
        uow.commit()
    return reaped
