"""Holds: the top N eligible slots, tied to the escalation, expiring, extendable, releasable, reaped."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from readout.domain.holds import Hold, HoldStatus
from readout.domain.intervals import Interval
from readout.domain.lifecycle import State
from readout.errors import PermissionDenied, Refused
from readout.services.confirmation import review
from readout.services.escalations import plan_escalation
from readout.services.holding import extend_holds, hold_slots, reap, release_holds
from tests.services.flows import DUTY, EM, GLOBEX, GLOBEX_ID, NOBODY, PSM, Desk, edit, u

TOP3 = [u(2026, 11, 17, 18), u(2026, 11, 17, 17, 45), u(2026, 11, 19, 16, 30)]  # globex, spread, by rank
TTL = timedelta(hours=24)


@pytest.fixture
def held(desk: Desk) -> Desk:
    """Globex planned and held: three holds placed at the case's ``now``."""
    desk.open(GLOBEX)
    hold_slots(desk.deps, GLOBEX_ID, EM)
    return desk


def test_hold_places_the_policy_count_of_best_slots_each_expiring_after_the_ttl(desk: Desk) -> None:
    desk.open(GLOBEX)
    placed_at = desk.clock()

    outcome = hold_slots(desk.deps, GLOBEX_ID, EM)

    assert [h.slot.start for h in outcome.placed] == TOP3  # policy.holds.count is 3; four slots comply
    holds = desk.holds(GLOBEX_ID)
    assert [h.slot.start for h in holds] == TOP3
    assert {(h.escalation_id, h.status, h.placed_at, h.expires_at) for h in holds} == {
        (GLOBEX_ID, HoldStatus.LIVE, placed_at, placed_at + TTL)
    }
    assert {h.calendar for h in holds} == {"dana"}  # the escalation manager's calendar
    # ... re-checked in her zone, so that her all-day and floating events fall on her own dates
    assert set(desk.calendar.zones.values()) == {ZoneInfo("America/Chicago")}
    assert sorted(desk.calendar.events) == sorted(h.uid for h in holds)
    assert all(h.uid.startswith(GLOBEX_ID) for h in holds)
    assert desk.escalation(GLOBEX_ID).state is State.HELD
    assert desk.decided(GLOBEX_ID)[2:] == ["hold_placed"] * 3 + ["hold"]
    assert desk.kinds(GLOBEX_ID)[-3:] == ["hold_on_calendar"] * 3  # carried out after the decision
    assert desk.audit(GLOBEX_ID)[2].payload["expires_at"] == "2026-11-13T15:00:00Z"


def test_holding_twice_places_no_duplicate(held: Desk) -> None:
    again = hold_slots(held.deps, GLOBEX_ID, PSM)

    assert again.placed == ()
    assert len(again.live) == 3
    assert [h.slot.start for h in held.holds(GLOBEX_ID)] == TOP3
    assert len(held.calendar.events) == 3
    assert held.escalation(GLOBEX_ID).state is State.HELD
    assert held.kinds(GLOBEX_ID).count("hold_placed") == 3


def test_holding_needs_a_coordinator(desk: Desk) -> None:
    desk.open(GLOBEX)
    for user in (NOBODY, DUTY):
        with pytest.raises(PermissionDenied):
            hold_slots(desk.deps, GLOBEX_ID, user)
    assert desk.holds(GLOBEX_ID) == []
    assert desk.calendar.events == {}


def test_extend_moves_every_live_hold_s_expiry(held: Desk) -> None:
    later = held.clock.advance(hours=20)

    extend_holds(held.deps, GLOBEX_ID, EM)

    assert {h.expires_at for h in held.holds(GLOBEX_ID)} == {later + TTL}
    assert held.kinds(GLOBEX_ID).count("hold_extended") == 3
    held.clock.advance(hours=10)  # past the first expiry, before the extended one
    assert reap(held.deps) == []
    assert len(held.live_holds(GLOBEX_ID)) == 3


def test_extend_with_no_live_hold_is_refused(desk: Desk) -> None:
    desk.open(GLOBEX)
    with pytest.raises(Refused, match="no live hold"):
        extend_holds(desk.deps, GLOBEX_ID, EM)


def test_release_is_idempotent(held: Desk) -> None:
    release_holds(held.deps, GLOBEX_ID, EM, start=TOP3[1])
    seq = held.escalation(GLOBEX_ID).audit_seq

    release_holds(held.deps, GLOBEX_ID, EM, start=TOP3[1])

    assert held.escalation(GLOBEX_ID).audit_seq == seq
    assert [h.slot.start for h in held.live_holds(GLOBEX_ID)] == [TOP3[0], TOP3[2]]
    assert held.calendar.released == [h.uid for h in held.holds(GLOBEX_ID) if h.slot.start == TOP3[1]]
    assert held.kinds(GLOBEX_ID).count("hold_released") == 1
    assert held.escalation(GLOBEX_ID).state is State.HELD


def test_releasing_every_hold_sends_the_escalation_back_to_planned(held: Desk) -> None:
    release_holds(held.deps, GLOBEX_ID, EM)
    release_holds(held.deps, GLOBEX_ID, EM)

    assert held.live_holds(GLOBEX_ID) == []
    assert held.calendar.events == {}
    assert len(held.calendar.released) == 3
    assert held.escalation(GLOBEX_ID).state is State.PLANNED
    assert held.decided(GLOBEX_ID)[-4:] == ["hold_released"] * 3 + ["holds_lost"]


def test_reaper_expires_holds_past_their_expiry_and_sends_a_held_escalation_back_to_planned(
    held: Desk,
) -> None:
    held.clock.advance(hours=23, minutes=59)
    assert reap(held.deps) == []
    held.clock.advance(minutes=1)  # exactly at expiry: expired (half-open)

    reaped = reap(held.deps)

    assert [h.slot.start for h in reaped] == TOP3
    assert {(h.status, h.end_reason) for h in held.holds(GLOBEX_ID)} == {(HoldStatus.EXPIRED, "expired")}
    assert held.calendar.events == {}
    esc = held.escalation(GLOBEX_ID)
    assert esc.state is State.PLANNED
    assert held.decided(GLOBEX_ID)[-4:] == ["hold_expired"] * 3 + ["holds_lost"]
    assert held.decisions(GLOBEX_ID)[-1].payload["from"] == "held"

    assert reap(held.deps) == []
    assert held.escalation(GLOBEX_ID).audit_seq == esc.audit_seq


def test_reaper_sends_an_escalation_awaiting_confirmation_back_to_planned(held: Desk) -> None:
    review(held.deps, GLOBEX_ID, EM, TOP3[0])
    held.clock.advance(hours=25)

    reap(held.deps)

    esc = held.escalation(GLOBEX_ID)
    assert esc.state is State.PLANNED
    assert (esc.review_slot, esc.packet_digest) == (None, None)


def test_replanning_releases_holds_on_slots_that_no_longer_comply(held: Desk) -> None:
    # The customer's incident manager can now meet on Wednesdays only: the held slots are Tuesday and Thursday.
    edit(held.copy(GLOBEX), 'availability: {tue-thu: "09:00-13:00"}', 'availability: {wed: "09:00-13:00"}')

    plan_escalation(held.deps, GLOBEX_ID, EM, "calendars read again")
    assert len(held.live_holds(GLOBEX_ID)) == 3, "an edited file changes nothing until it is stored"

    held.update(GLOBEX_ID, GLOBEX)

    assert held.live_holds(GLOBEX_ID) == []
    assert {h.end_reason for h in held.holds(GLOBEX_ID)} == {"slot no longer compliant"}
    assert held.calendar.events == {}
    assert held.escalation(GLOBEX_ID).state is State.ESCALATED  # and no Wednesday slot complies either


def test_never_two_live_holds_of_one_escalation_on_one_slot_even_after_the_organizer_changes(
    held: Desk,
) -> None:
    edit(held.copy(GLOBEX), "escalation_manager: dana", "escalation_manager: sam")
    held.update(GLOBEX_ID, GLOBEX)

    hold_slots(held.deps, GLOBEX_ID, EM)

    starts = [h.slot.start for h in held.live_holds(GLOBEX_ID)]
    assert len(starts) == len(set(starts)), f"live holds per slot: {sorted(starts)}"


def test_holding_again_after_expiry_before_the_reaper_ran_gives_live_holds(held: Desk) -> None:
    held.clock.advance(hours=25)

    outcome = hold_slots(held.deps, GLOBEX_ID, EM)

    assert [h.slot.start for h in outcome.live] == TOP3
    assert held.escalation(GLOBEX_ID).state is State.HELD


def test_a_calendar_refusing_a_slot_while_holding_sends_the_escalation_back_to_planning(desk: Desk) -> None:
    desk.open(GLOBEX)
    desk.calendar.taken.add(Interval(u(2026, 11, 17, 18, 45), u(2026, 11, 17, 19)))  # only the best slot

    outcome = hold_slots(desk.deps, GLOBEX_ID, EM)

    assert outcome.problem is not None
    assert "slot taken" in outcome.problem
    assert desk.escalation(GLOBEX_ID).state is State.PLANNED
    assert desk.calendar.events == {}
    assert desk.decided(GLOBEX_ID)[-2:] == ["hold_conflict", "plan"]


def test_a_hold_the_calendar_refused_is_not_live_in_the_ledger(desk: Desk) -> None:
    desk.open(GLOBEX)
    desk.calendar.taken.add(Interval(u(2026, 11, 17, 18, 45), u(2026, 11, 17, 19)))  # only the best slot

    hold_slots(desk.deps, GLOBEX_ID, EM)

    assert sorted(h.uid for h in desk.live_holds(GLOBEX_ID)) == sorted(desk.calendar.events)
    again = hold_slots(desk.deps, GLOBEX_ID, EM)
    assert again.problem is not None or TOP3[0] not in [h.slot.start for h in again.live]


def test_issue_9_reap_releases_an_orphan_hold_the_ledger_does_not_know(held: Desk) -> None:
    known = sorted(held.calendar.events)
    slot = Interval(u(2026, 11, 17, 17, 30), u(2026, 11, 17, 18, 30))  # eligible, not held
    orphan = Hold(
        0, f"{GLOBEX_ID}/20261117T173000Z/dana", GLOBEX_ID, slot, "dana", held.clock(), held.clock()
    )
    held.calendar.events[orphan.uid] = orphan  # placed by a process whose ledger row was rolled back

    reap(held.deps)

    assert sorted(held.calendar.events) == known  # the orphan is gone, the ledger's holds stay
    assert orphan.uid in held.calendar.released
    [entry] = [e for e in held.audit(GLOBEX_ID) if e.kind == "orphan_hold_released"]
    assert entry.payload["start"] == "2026-11-17T17:30:00Z"


def test_reaping_looks_for_orphans_only_on_calendars_with_holds_not_long_past(
    held: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed: list[str] = []
    marked = held.calendar.marked

    def listing(calendar: str, span: Interval) -> list[Hold]:
        listed.append(calendar)
        return marked(calendar, span)

    monkeypatch.setattr(held.calendar, "marked", listing)
    reap(held.deps)
    assert listed  # the held slots' calendars are looked at while their holds matter
    listed.clear()

    held.clock.set(u(2026, 12, 30))  # every hold of the story ended more than a week ago
    reap(held.deps)
    assert listed == []  # no calendar is listed for holds long past
