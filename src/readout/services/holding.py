"""Use cases: place, extend and release tentative holds, and reap expired ones.

Holds are recorded in the ledger first (where a unique index keeps one live hold per escalation, slot and
calendar, also across processes), then placed on the calendar, then committed; a calendar that refuses the
slot releases everything placed in the same call and sends the escalation back to planning.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from readout.adapters.casefile import LoadedCase, load_case
from readout.domain.escalation import Escalation
from readout.domain.holds import Hold, HoldStatus, hold_uid
from readout.domain.invite import InvitePacket
from readout.domain.lifecycle import TRANSITIONS, Action, IllegalTransition, State
from readout.domain.users import SYSTEM, Permission
from readout.errors import Conflict, ReadoutError, Refused, SlotTaken, SourceUnavailable
from readout.services.context import Deps, actor, load_escalation, slot_text
from readout.services.eligibility import eligible_slots
from readout.services.escalations import replan
from readout.services.plan_json import utc_text
from readout.services.ports import RemoteSource, UnitOfWork

__all__ = ["HoldOutcome", "extend_holds", "hold_slots", "reap", "release_holds"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HoldOutcome:
    """Holds placed (or kept) by a hold call, and why it stopped if it did."""

    escalation: Escalation
    live: tuple[Hold, ...]
    placed: tuple[Hold, ...]
    problem: str | None = None


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
        if (esc.state, Action.HOLD) not in TRANSITIONS:
            raise IllegalTransition(esc.state, Action.HOLD)
        _expire_overdue(uow, deps, esc, now)  # the reaper may not have run yet
        loaded = load_case(Path(esc.case_path))
        case = loaded.case
        plan = uow.plans.latest(esc.id) or {}
        wanted = eligible_slots(plan, uow.waivers.of(esc.id))[: case.hold_count]
        if not wanted:
            raise Refused(f"{esc.id} has no eligible slot to hold: plan again or request an exception")
        placed: list[Hold] = []
        calendar = _organizer_calendar(loaded)
        organizer = case.people.get(case.roles["escalation_manager"] or "")
        organizer_zone = organizer.zone if organizer else None
        try:
            for option in wanted:
                fresh = Hold(
                    0,
                    hold_uid(esc.id, option.slot, calendar),
                    esc.id,
                    option.slot,
                    calendar,
                    now,
                    now + case.hold_ttl,
                )
                stored = uow.holds.add(fresh)
                if stored is None:
                    continue  # already held live: holding is idempotent
                placed.append(stored)  # first, so that a refusal below also ends this ledger row
                stored = replace(stored, calendar_ref=deps.holds.place(stored, organizer_zone))
                uow.holds.update(stored)
                placed[-1] = stored
                esc.record(
                    now,
                    user.id,
                    "hold_placed",
                    {
                        **slot_text(stored.slot),
                        "calendar": calendar,
                        "expires_at": utc_text(stored.expires_at),
                    },
                )
        except SlotTaken as taken:
            return _undo_and_replan(uow, deps, esc, placed, now, str(taken))
        except (
            SourceUnavailable,
            Conflict,
        ) as failure:  # nothing is recorded; undo what reached the calendar
            _release_quietly(deps, placed)
            raise Refused(f"holds not placed: {failure}") from None
        esc.transition(Action.HOLD, now, user.id, {"placed": len(placed), "live": len(_live(uow, esc, now))})
        uow.escalations.save(esc)
        uow.commit()
        return HoldOutcome(esc, _live(uow, esc, now), tuple(placed))


def _expire_overdue(uow: UnitOfWork, deps: Deps, esc: Escalation, now: datetime) -> None:
    for hold in uow.holds.of(esc.id):
        if hold.status is HoldStatus.LIVE and hold.expires_at <= now:
            end_hold(uow, deps, esc, hold, HoldStatus.EXPIRED, now, SYSTEM.id, "expired")


def _release_quietly(deps: Deps, placed: list[Hold]) -> None:
    """Best effort: the calendar may be the thing that failed; expiry properties mark what is left."""
    for hold in placed:
        with contextlib.suppress(ReadoutError):
            deps.holds.release(hold)


def _undo_and_replan(
    uow: UnitOfWork, deps: Deps, esc: Escalation, placed: list[Hold], now: datetime, why: str
) -> HoldOutcome:
    """A calendar refused a slot: release what this call placed, record why, and plan again."""
    for hold in placed:
        deps.holds.release(hold)
        uow.holds.update(hold.ended(HoldStatus.RELEASED, now, "slot taken while placing holds"))
        esc.record(
            now,
            SYSTEM.id,
            "hold_released",
            {**slot_text(hold.slot), "reason": "slot taken while placing holds"},
        )
    esc.record(now, SYSTEM.id, "hold_conflict", {"detail": why})
    replan(uow, deps, esc, SYSTEM, now, f"slot taken while placing holds: {why}")
    uow.escalations.save(esc)
    uow.commit()
    return HoldOutcome(esc, _live(uow, esc, now), (), f"slot taken while placing holds ({why}); re-planned")


def extend_holds(deps: Deps, escalation_id: str, user_id: str, ttl: timedelta | None = None) -> HoldOutcome:
    """Push every live hold's expiry to ``now + ttl`` (default: the case's ``ttl_hours``)."""
    now = deps.clock()
    with deps.uow() as uow:
        user = actor(uow, user_id, Permission.HOLD)
        esc = load_escalation(uow, escalation_id)
        ttl = ttl or load_case(Path(esc.case_path)).case.hold_ttl
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
        for hold in uow.holds.of(esc.id):
            if hold.status is HoldStatus.LIVE and (start is None or hold.slot.start == start):
                end_hold(uow, deps, esc, hold, HoldStatus.RELEASED, now, user.id, reason)
        _after_hold_loss(esc, uow, now)
        uow.escalations.save(esc)
        uow.commit()
        return HoldOutcome(esc, _live(uow, esc, now), ())


def end_hold(
    uow: UnitOfWork,
    deps: Deps,
    esc: Escalation,
    hold: Hold,
    status: HoldStatus,
    now: datetime,
    who: str,
    reason: str,
    packet: InvitePacket | None = None,
) -> None:
    """Release a hold on the calendar (or, with the confirmed ``packet``, turn it into the readout event),
    then record it as released, expired or confirmed."""
    if status is HoldStatus.CONFIRMED and packet is not None:
        hold = replace(hold, calendar_ref=deps.holds.confirm(hold, packet))
    else:
        deps.holds.release(hold)
    uow.holds.update(hold.ended(status, now, reason))
    kind = {HoldStatus.RELEASED: "hold_released", HoldStatus.EXPIRED: "hold_expired"}.get(
        status, "hold_confirmed"
    )
    esc.record(now, who, kind, {**slot_text(hold.slot), "reason": reason})


def _after_hold_loss(esc: Escalation, uow: UnitOfWork, now: datetime) -> None:
    if esc.state in (State.HELD, State.AWAITING_CONFIRMATION) and not _live(uow, esc, now):
        esc.review_slot = esc.review_interpreter = esc.packet_digest = None
        esc.transition(
            Action.HOLDS_LOST, now, SYSTEM.id, {"reason": "no live hold left: hold again or re-plan"}
        )


def reap(deps: Deps) -> list[Hold]:
    """Expire every live hold past its expiry, across escalations; safe to run from several processes."""
    now = deps.clock()
    reaped: list[Hold] = []
    with deps.uow() as uow:
        expired_ids = sorted({h.escalation_id for h in uow.holds.expired(now)})
    for escalation_id in expired_ids:
        try:
            reaped += _reap_one(deps, escalation_id, now)
        except ReadoutError as failure:  # one calendar down must not stop the others; next round retries
            log.warning("reaping %s failed: %s", escalation_id, failure)
    return reaped


def _reap_one(deps: Deps, escalation_id: str, now: datetime) -> list[Hold]:
    """Expire one escalation's overdue holds (the row lock makes a concurrent reaper wait, then find none)."""
    reaped: list[Hold] = []
    with deps.uow() as uow:
        esc = load_escalation(uow, escalation_id)
        for hold in uow.holds.of(esc.id):
            if hold.status is HoldStatus.LIVE and hold.expires_at <= now:
                end_hold(uow, deps, esc, hold, HoldStatus.EXPIRED, now, SYSTEM.id, "expired")
                reaped.append(hold)
        _after_hold_loss(esc, uow, now)
        uow.escalations.save(esc)
        uow.commit()
    return reaped
