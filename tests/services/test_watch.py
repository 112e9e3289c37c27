"""Calendar watch: a changed calendar re-plans every open escalation that reads it, once, releasing the holds the
new plan no longer allows, with the audit saying why; an unchanged one, a second pass, a first sight of a
calendar and a closed escalation re-plan nothing. On the in-memory twin, SQLite and PostgreSQL (``desk``)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from readout.adapters.memory.channel import MemoryChannel
from readout.adapters.memory.hold_calendar import MemoryHoldCalendar
from readout.domain.holds import HoldStatus
from readout.domain.lifecycle import State
from readout.services.confirmation import confirm, review
from readout.services.context import Deps
from readout.services.exceptions import approve
from readout.services.holding import hold_slots
from readout.services.watch import replan_changed
from tests.services.flows import DUTY, EM, FREEZE, FREEZE_ID, GLOBEX, GLOBEX_ID, PSM, Clock, Desk, book, u

TOP3 = [u(2026, 11, 17, 18), u(2026, 11, 17, 17, 45), u(2026, 11, 19, 16, 30)]  # Globex's held slots, by rank
WAIVED = u(2026, 11, 24, 11)  # the freeze's first near miss: breaks COVERAGE only


@pytest.fixture
def held(desk: Desk) -> Desk:
    """Globex planned and held (three holds), its calendars watched once (marked, nothing re-planned)."""
    desk.open(GLOBEX)
    hold_slots(desk.deps, GLOBEX_ID, EM)
    assert replan_changed(desk.deps) == 0
    return desk


def calendar(desk: Desk, name: str, case: str = GLOBEX) -> Path:
    return desk.tmp / case / "calendars" / name


def plans(desk: Desk, escalation_id: str) -> list[str]:
    """The reasons of the plans made, in order."""
    return [e.payload["reason"] for e in desk.audit(escalation_id) if e.kind == "plan"]


def test_an_edited_calendar_replans_once_and_releases_the_hold_on_the_now_busy_slot(held: Desk) -> None:
    book(calendar(held, "dana.ics"), u(2026, 11, 17, 17), u(2026, 11, 17, 20), "Offsite")  # over two holds

    assert replan_changed(held.deps) == 1

    assert plans(held, GLOBEX_ID) == ["opened", "calendar changed: dana"]
    plan = next(e for e in reversed(held.audit(GLOBEX_ID)) if e.kind == "plan")
    assert plan.actor == "readout"  # Readout itself, not a person
    by_start = {h.slot.start: h for h in held.holds(GLOBEX_ID)}
    for start in TOP3[:2]:
        assert (by_start[start].status, by_start[start].end_reason) == (
            HoldStatus.RELEASED,
            "slot no longer compliant",
        )
    assert by_start[TOP3[2]].status is HoldStatus.LIVE  # Thursday is still free
    released = [e for e in held.audit(GLOBEX_ID) if e.kind == "hold_released"]
    assert [e.payload.get("reason") for e in released] == ["slot no longer compliant"] * 2
    assert "Offsite" not in str([e.payload for e in held.audit(GLOBEX_ID)])  # free/busy only

    seq = held.escalation(GLOBEX_ID).audit_seq
    assert replan_changed(held.deps) == 0, "a second pass finds nothing new"
    assert held.escalation(GLOBEX_ID).audit_seq == seq


def test_an_unchanged_calendar_replans_nothing_even_when_its_file_is_rewritten(held: Desk) -> None:
    dana = calendar(held, "dana.ics")
    dana.write_bytes(dana.read_bytes())  # a new modification time, the same bytes
    seq = held.escalation(GLOBEX_ID).audit_seq

    assert replan_changed(held.deps) == 0
    assert replan_changed(held.deps) == 0

    assert held.escalation(GLOBEX_ID).audit_seq == seq
    assert len(held.live_holds(GLOBEX_ID)) == 3


def test_a_changed_blackout_calendar_is_named_by_its_place_in_the_case(held: Desk) -> None:
    book(calendar(held, "globex-cab.ics"), u(2026, 11, 19), u(2026, 11, 20), "Change window")

    assert replan_changed(held.deps) == 1

    assert plans(held, GLOBEX_ID)[-1] == "calendar changed: blackout calendar 1"
    assert {h.slot.start for h in held.live_holds(GLOBEX_ID)} == set(TOP3[:2])


def test_a_calendar_seen_for_the_first_time_is_marked_without_a_replan(desk: Desk) -> None:
    desk.open(GLOBEX)
    book(calendar(desk, "dana.ics"), u(2026, 11, 17, 17), u(2026, 11, 17, 20), "Offsite")

    assert replan_changed(desk.deps) == 0  # nothing to compare with: the mark is taken now
    assert plans(desk, GLOBEX_ID) == ["opened"]

    book(calendar(desk, "ravi.ics"), u(2026, 11, 19, 16), u(2026, 11, 19, 18), "Standup", uid="b@x.example")
    assert replan_changed(desk.deps) == 1
    assert plans(desk, GLOBEX_ID) == ["opened", "calendar changed: ravi"]


def test_a_calendar_that_cannot_be_read_keeps_its_mark_and_replans_nothing(held: Desk) -> None:
    dana = calendar(held, "dana.ics")
    original = dana.read_bytes()
    dana.unlink()

    assert replan_changed(held.deps) == 0
    assert plans(held, GLOBEX_ID) == ["opened"]
    assert len(held.live_holds(GLOBEX_ID)) == 3

    dana.write_bytes(original)  # back as it was: still the old mark, nothing changed
    assert replan_changed(held.deps) == 0
    book(dana, u(2026, 11, 17, 17), u(2026, 11, 17, 20), "Offsite")
    assert replan_changed(held.deps) == 1


def test_a_confirmed_escalation_is_never_replanned(held: Desk) -> None:
    seen = review(held.deps, GLOBEX_ID, EM, TOP3[2])
    confirm(held.deps, GLOBEX_ID, EM, seen.packet.digest)
    assert held.escalation(GLOBEX_ID).state is State.CONFIRMED
    seq = held.escalation(GLOBEX_ID).audit_seq
    book(calendar(held, "dana.ics"), u(2026, 11, 19), u(2026, 11, 20), "Offsite")

    assert replan_changed(held.deps) == 0

    assert held.escalation(GLOBEX_ID).audit_seq == seq
    assert held.escalation(GLOBEX_ID).state is State.CONFIRMED


def test_only_the_escalations_reading_the_changed_calendar_are_replanned(desk: Desk) -> None:
    desk.open(GLOBEX)
    desk.open(FREEZE)
    assert replan_changed(desk.deps) == 0

    book(calendar(desk, "dana.ics", FREEZE), u(2026, 11, 24), u(2026, 11, 25), "Offsite")  # the freeze's copy

    assert replan_changed(desk.deps) == 1
    assert plans(desk, GLOBEX_ID) == ["opened"]
    assert plans(desk, FREEZE_ID)[-1] == "calendar changed: dana"


def test_a_released_hold_is_told_in_the_requests_thread(
    deps: Deps, clock: Clock, hold_calendar: MemoryHoldCalendar, tmp_path: Path
) -> None:
    channel = MemoryChannel()
    desk = Desk(replace(deps, channel=channel), clock, hold_calendar, tmp_path)
    desk.open(FREEZE)
    approve(desk.deps, FREEZE_ID, DUTY, WAIVED, "approved")
    hold_slots(desk.deps, FREEZE_ID, PSM)
    assert [h.slot.start for h in desk.live_holds(FREEZE_ID)] == [WAIVED]
    assert replan_changed(desk.deps) == 0

    book(calendar(desk, "dana.ics", FREEZE), u(2026, 11, 24), u(2026, 11, 25), "Offsite")
    assert replan_changed(desk.deps) == 1

    assert desk.live_holds(FREEZE_ID) == []
    first = channel.top_level()[0]
    told = channel.thread(first.ref)[-1].message.text
    assert "released by Readout" in told
    assert "(slot no longer compliant)" in told
    assert "Offsite" not in "".join(p.message.text for p in channel.posted)
