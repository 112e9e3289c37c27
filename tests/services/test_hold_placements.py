"""Holds that help (issue 11, point 6) and honest ledger-only holds (point 1).

Spread holds, ``hold_slots(slot=START)``, holds on every internal role holder's writable calendar (placed all
or nothing, released and confirmed together), and a hold kept in Readout's ledger only never recorded or shown
as if it were on a person's calendar.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from readout.adapters.casefile.loader import CaseFileBuilder
from readout.adapters.ledger_only import LedgerOnlyHoldCalendar
from readout.adapters.routing import RoutingHoldCalendar
from readout.domain.case_document import CaseDocument, LoadedCase
from readout.domain.effects import EffectStatus
from readout.domain.holds import LEDGER_ONLY, HoldStatus
from readout.domain.intervals import Interval
from readout.domain.lifecycle import State
from readout.domain.sources import RemoteSource
from readout.errors import Refused
from readout.services.confirmation import confirm, review
from readout.services.holding import hold_placements, hold_slots, reap, release_holds
from readout.services.views import effect_sentence, hold_view
from tests.services.flows import EM, GLOBEX, GLOBEX_ID, Desk, u

BEST, SECOND, THURSDAY = u(2026, 11, 17, 18), u(2026, 11, 17, 17, 45), u(2026, 11, 19, 16, 30)
NOT_HELD = u(2026, 11, 17, 17, 30)  # eligible (third best), left out by spreading
DANA, RAVI = "caldav://dav.example/cal/dana/", "caldav://dav.example/cal/ravi/"


class WithHoldCalendars:
    """The case-file builder, plus where each person's holds may be written (what ``people.X.hold_calendar``
    fills once the loader reads it)."""

    def __init__(self, calendars: dict[str, str]) -> None:
        self.calendars = calendars

    def build(self, document: CaseDocument) -> LoadedCase:
        loaded = CaseFileBuilder().build(document)
        writable = {person: RemoteSource(url) for person, url in self.calendars.items()}
        return dataclasses.replace(loaded, hold_calendars=writable)


@pytest.fixture
def two(desk: Desk) -> Desk:
    """Globex with Readout allowed to write Dana's (escalation manager) and Ravi's (fix owner) calendars."""
    deps = dataclasses.replace(desk.deps, cases=WithHoldCalendars({"dana": DANA, "ravi": RAVI}))
    return dataclasses.replace(desk, deps=deps)


@pytest.fixture
def ledger(desk: Desk) -> Desk:
    """Globex with the production routing: no CalDAV calendar anywhere, so holds are kept in the ledger."""
    routing = RoutingHoldCalendar(lambda: desk.calendar, LedgerOnlyHoldCalendar())
    return dataclasses.replace(desk, deps=dataclasses.replace(desk.deps, holds=routing))


# --- spread ---------------------------------------------------------------------------------------------------


def test_held_slots_are_spread_over_days_before_overlapping_starts_on_one_afternoon(desk: Desk) -> None:
    desk.open(GLOBEX)
    ranked = [e.slot.start for e in desk.eligible(GLOBEX_ID)]
    assert ranked == [BEST, SECOND, NOT_HELD, THURSDAY]  # three overlapping Tuesday starts, one Thursday

    outcome = hold_slots(desk.deps, GLOBEX_ID, EM)

    # Thursday before the third Tuesday start, though it ranks lower; the rest in rank order.
    assert [h.slot.start for h in outcome.placed] == [BEST, SECOND, THURSDAY]


def test_holding_again_keeps_the_live_holds_and_tops_up_spread_around_them(desk: Desk) -> None:
    desk.open(GLOBEX)
    hold_slots(desk.deps, GLOBEX_ID, EM, slot=NOT_HELD)

    outcome = hold_slots(desk.deps, GLOBEX_ID, EM)

    # The Tuesday 17:30 hold counts: Thursday is a new day, then the best Tuesday start tops up to three.
    assert sorted(h.slot.start for h in outcome.live) == sorted([NOT_HELD, THURSDAY, BEST])


# --- hold --slot START ------------------------------------------------------------------------------------------


def test_holding_a_chosen_eligible_slot_holds_that_slot_only(desk: Desk) -> None:
    desk.open(GLOBEX)

    outcome = hold_slots(desk.deps, GLOBEX_ID, EM, slot=NOT_HELD)

    assert [h.slot.start for h in outcome.placed] == [NOT_HELD]
    assert [h.slot.start for h in desk.live_holds(GLOBEX_ID)] == [NOT_HELD]
    assert desk.escalation(GLOBEX_ID).state is State.HELD
    assert hold_slots(desk.deps, GLOBEX_ID, EM, slot=NOT_HELD).placed == ()  # idempotent


def test_holding_a_slot_that_is_not_eligible_is_refused_naming_it_and_the_nearest_eligible_starts(
    desk: Desk,
) -> None:
    desk.open(GLOBEX)
    before = desk.snapshot(GLOBEX_ID)

    with pytest.raises(Refused) as refused:
        hold_slots(desk.deps, GLOBEX_ID, EM, slot=u(2026, 11, 18, 3))

    message = str(refused.value)
    # The slot asked for and the nearest eligible starts, in the contract zone (Mexico City) and UTC.
    assert "Wed 18 Nov 03:00 America/Mexico_City" not in message  # 03:00 UTC is the evening before there
    assert "Tue 17 Nov 21:00 America/Mexico_City (2026-11-18T03:00:00Z) is not an eligible slot" in message
    assert "Tue 17 Nov 12:00 America/Mexico_City (2026-11-17T18:00:00Z)" in message
    assert "Thu 19 Nov 10:30 America/Mexico_City (2026-11-19T16:30:00Z)" in message
    assert desk.snapshot(GLOBEX_ID) == before


# --- ledger only ------------------------------------------------------------------------------------------------


def test_a_hold_kept_in_the_ledger_only_is_recorded_and_shown_as_on_nobody_s_calendar(ledger: Desk) -> None:
    ledger.open(GLOBEX)

    outcome = hold_slots(ledger.deps, GLOBEX_ID, EM)

    kinds = ledger.kinds(GLOBEX_ID)
    assert "hold_on_calendar" not in kinds  # nothing was put on Dana's (or anyone's) calendar
    placed = [e.payload for e in ledger.audit(GLOBEX_ID) if e.kind == "hold_placed"]
    assert [(p["calendar"], p["kept"]) for p in placed] == [(None, LEDGER_ONLY)] * 3
    sentences = [effect_sentence(e) for e in outcome.effects]
    assert sentences[0] == (
        "The hold Tue 17 Nov 12:00-13:00 Mexico City (18:00-19:00 UTC) is kept in Readout's ledger"
        " only: on nobody's calendar"
    )
    assert not any("dana" in s for s in sentences)
    views = [hold_view(h) for h in outcome.live]
    assert {(v["calendar"], v["ledger_only"], v["where"]) for v in views} == {(None, True, LEDGER_ONLY)}
    assert {e.status for e in outcome.effects} == {EffectStatus.DONE}

    released = release_holds(ledger.deps, GLOBEX_ID, EM, start=BEST)

    [sentence] = [effect_sentence(e) for e in released.effects]
    assert sentence == (
        "The hold 2026-11-17T18:00:00Z is released in Readout's ledger (it was on nobody's calendar)"
    )
    assert "hold_off_calendar" not in ledger.kinds(GLOBEX_ID)


def test_releasing_a_hold_on_a_calendar_says_which_slot_came_off(desk: Desk) -> None:
    desk.open(GLOBEX)
    hold_slots(desk.deps, GLOBEX_ID, EM)

    released = release_holds(desk.deps, GLOBEX_ID, EM, start=BEST)

    [sentence] = [effect_sentence(e) for e in released.effects]
    assert sentence == "Take the hold 2026-11-17T18:00:00Z off dana: done"


# --- holds on every internal role holder's calendar -------------------------------------------------------------


def test_holds_go_on_every_writable_role_holder_calendar(two: Desk) -> None:
    two.open(GLOBEX)

    outcome = hold_slots(two.deps, GLOBEX_ID, EM)

    assert len(outcome.placed) == 3
    for hold in two.live_holds(GLOBEX_ID):
        assert [(p.calendar, p.person) for p in hold.targets] == [(DANA, "dana"), (RAVI, "ravi")]
        assert all(p.ref is not None for p in hold.targets)  # both calendars gave back a reference
        assert hold_view(hold)["where"] == "on the calendars of dana, ravi"
    assert len(two.live_holds(GLOBEX_ID)) == 3  # still one hold (one ledger row) per slot
    on = {(h.calendar, h.slot.start) for h in two.calendar.events.values()}
    assert on == {(c, s) for c in (DANA, RAVI) for s in (BEST, SECOND, THURSDAY)}
    # each re-checked in its owner's zone
    zones = {two.calendar.events[uid].calendar: zone for uid, zone in two.calendar.zones.items()}
    assert zones == {DANA: ZoneInfo("America/Chicago"), RAVI: ZoneInfo("Asia/Kolkata")}
    [entry, *_] = [e for e in two.audit(GLOBEX_ID) if e.kind == "hold_on_calendar"]
    assert entry.payload["calendars"] == [DANA, RAVI]
    assert "on " + DANA + ", " + RAVI in effect_sentence(outcome.effects[0])


def test_one_calendar_refusing_takes_the_hold_off_the_others_and_holds_nothing(two: Desk) -> None:
    two.open(GLOBEX)
    two.calendar.taken_on[RAVI] = {Interval(BEST, BEST + timedelta(minutes=15))}  # Ravi booked the best slot

    outcome = hold_slots(two.deps, GLOBEX_ID, EM)

    assert outcome.problem is not None
    assert "slot taken" in outcome.problem
    assert two.calendar.events == {}  # Dana's placement came off too: all or nothing
    assert two.live_holds(GLOBEX_ID) == []
    assert two.escalation(GLOBEX_ID).state is not State.HELD
    best = [h for h in two.holds(GLOBEX_ID) if h.slot.start == BEST]
    assert [h.status for h in best] == [HoldStatus.RELEASED]


def test_holds_on_several_calendars_are_released_and_expire_together(two: Desk) -> None:
    two.open(GLOBEX)
    hold_slots(two.deps, GLOBEX_ID, EM)

    release_holds(two.deps, GLOBEX_ID, EM, start=BEST)

    assert {h.slot.start for h in two.calendar.events.values()} == {SECOND, THURSDAY}
    [gone] = [h for h in two.holds(GLOBEX_ID) if h.slot.start == BEST]
    assert hold_view(gone)["where"] == "was on the calendars of dana, ravi"
    assert sorted(two.calendar.released) == sorted(
        p.uid for h in two.holds(GLOBEX_ID) if h.slot.start == BEST for p in h.targets
    )
    two.clock.advance(hours=25)
    reap(two.deps)
    assert two.calendar.events == {}


def test_a_calendar_that_does_not_answer_leaves_the_hold_pending_until_reap_places_it_everywhere(
    two: Desk,
) -> None:
    two.open(GLOBEX)
    two.calendar.down.add(RAVI)

    outcome = hold_slots(two.deps, GLOBEX_ID, EM)

    assert len(two.live_holds(GLOBEX_ID)) == 3  # recorded; placing is pending
    assert {hold_view(h)["where"] for h in outcome.live} == {"not yet on the calendars of dana, ravi"}
    assert {e.status for e in outcome.effects} == {EffectStatus.PENDING}
    seen = review(two.deps, GLOBEX_ID, EM, BEST)
    with pytest.raises(Refused, match="not yet on"):  # a hold not on all its calendars is not confirmed
        confirm(two.deps, GLOBEX_ID, EM, seen.packet.digest)

    two.calendar.down.clear()
    two.clock.advance(minutes=5)  # past the retry backoff
    reap(two.deps)

    on = {(h.calendar, h.slot.start) for h in two.calendar.events.values()}
    assert on == {(c, s) for c in (DANA, RAVI) for s in (BEST, SECOND, THURSDAY)}
    assert {hold_view(h)["where"] for h in two.live_holds(GLOBEX_ID)} == {"on the calendars of dana, ravi"}


def test_confirming_turns_every_placement_into_the_readout_and_releases_the_other_holds(two: Desk) -> None:
    two.open(GLOBEX)
    hold_slots(two.deps, GLOBEX_ID, EM)
    seen = review(two.deps, GLOBEX_ID, EM, BEST)

    outcome = confirm(two.deps, GLOBEX_ID, EM, seen.packet.digest)

    assert outcome.confirmed
    [chosen] = [h for h in two.holds(GLOBEX_ID) if h.status is HoldStatus.CONFIRMED]
    assert sorted(two.calendar.confirmed) == sorted(p.uid for p in chosen.targets)
    assert {(h.calendar, h.slot.start) for h in two.calendar.events.values()} == {(DANA, BEST), (RAVI, BEST)}


def test_a_person_whose_own_calendar_is_a_caldav_collection_gets_holds_and_others_do_not(desk: Desk) -> None:
    loaded = CaseFileBuilder().build(_document(desk))
    loaded = dataclasses.replace(
        loaded, calendars={**loaded.calendars, "mei": RemoteSource("caldavs://dav.example/cal/mei/")}
    )
    slot = Interval(BEST, BEST + timedelta(hours=1))

    where = hold_placements(loaded, GLOBEX_ID, slot)

    assert [(p.calendar, p.person, p.zone) for p in where] == [
        ("caldavs://dav.example/cal/mei/", "mei", "America/New_York")
    ]
    assert where[0].uid == f"{GLOBEX_ID}/20261117T180000Z/caldavs://dav.example/cal/mei/"
    # nobody writable: the organizer's person id, kept in the ledger only
    [alone] = hold_placements(CaseFileBuilder().build(_document(desk)), GLOBEX_ID, slot)
    assert (alone.calendar, alone.on_a_calendar) == ("dana", False)


def _document(desk: Desk) -> CaseDocument:
    from readout.adapters.casefile.loader import read_case_file

    return read_case_file(desk.copy(GLOBEX))
