"""The escalation page's data: a fresh, read-only plan of the stored case with the planner's grid. Its
compliant starts are the plan's candidates and its near misses the plan's, nothing is written, and a plan that
no longer matches the recorded one says so."""

from __future__ import annotations

from datetime import date

import numpy as np

from readout.domain.intervals import from_micros
from readout.services.availability import availability
from tests.services.flows import FREEZE, FREEZE_ID, GLOBEX, GLOBEX_ID, Desk, book, edit, u


def _compliant(grid_starts: np.ndarray, masks: dict[str, np.ndarray]) -> set[object]:
    ok = np.ones(len(grid_starts), dtype=bool)
    for mask in masks.values():
        ok &= ~mask
    return {from_micros(int(s)) for s in grid_starts[ok].tolist()}


def test_the_grid_is_the_plans_own_and_nothing_is_written(desk: Desk) -> None:
    desk.open(GLOBEX)
    before = (desk.audit(GLOBEX_ID), desk.plan(GLOBEX_ID), desk.escalation(GLOBEX_ID).version)

    seen = availability(desk.deps, GLOBEX_ID)

    assert seen.grid is not None
    assert _compliant(seen.grid.starts, seen.grid.masks) == {c.start for c in seen.plan.candidates}
    assert len(seen.plan.candidates) == 4
    assert not seen.stale
    assert (desk.audit(GLOBEX_ID), desk.plan(GLOBEX_ID), desk.escalation(GLOBEX_ID).version) == before


def test_near_misses_of_a_frozen_case_are_the_plans(desk: Desk) -> None:
    desk.open(FREEZE)

    seen = availability(desk.deps, FREEZE_ID)

    assert seen.grid is not None
    assert not seen.plan.candidates
    near = {m.start for m in seen.plan.near_misses}
    assert near
    stored = desk.plan(FREEZE_ID)
    assert stored is not None
    assert {m["start"] for m in stored["near_misses"]} == {m.strftime("%Y-%m-%dT%H:%M:%SZ") for m in near}


def test_a_calendar_changed_since_the_recorded_plan_is_noticed_and_not_recorded(desk: Desk) -> None:
    desk.open(GLOBEX)
    stored = desk.plan(GLOBEX_ID)
    # Dana is now busy over the best slot (Tue 17 Nov 18:00 UTC): the fresh plan loses it.
    book(desk.tmp / GLOBEX / "calendars" / "dana.ics", u(2026, 11, 17, 17), u(2026, 11, 17, 20), "Offsite")

    seen = availability(desk.deps, GLOBEX_ID)

    assert seen.stale
    assert u(2026, 11, 17, 18) not in {c.start for c in seen.plan.candidates}
    assert desk.plan(GLOBEX_ID) == stored  # the page never records a plan


def test_near_misses_that_moved_on_are_noticed_too(desk: Desk) -> None:
    desk.open(FREEZE)
    assert not availability(desk.deps, FREEZE_ID).stale
    desk.clock.advance(hours=2)  # the earliest start passes Tuesday's first near misses

    seen = availability(desk.deps, FREEZE_ID)

    assert not seen.plan.candidates
    assert seen.stale


def test_the_deadline_working_counts_business_days_and_skips_the_holiday(desk: Desk) -> None:
    desk.open(GLOBEX)

    working = availability(desk.deps, GLOBEX_ID).working

    assert working is not None
    assert working.zone == "America/Mexico_City"
    assert working.approved_at == u(2026, 11, 11, 22, 40)
    assert working.counted == (
        date(2026, 11, 12),
        date(2026, 11, 13),
        date(2026, 11, 17),
        date(2026, 11, 18),
        date(2026, 11, 19),
    )
    assert working.holidays == (date(2026, 11, 16),)  # Revolution Day
    assert working.weekends == (date(2026, 11, 14), date(2026, 11, 15))
    assert working.deadline == u(2026, 11, 20, 6)


def test_a_case_that_is_not_ready_has_no_grid(desk: Desk) -> None:
    case = desk.copy(GLOBEX)
    edit(
        case,
        "customer_safe_rca_approved_at: 2026-11-11T16:40:00-06:00",
        "customer_safe_rca_approved_at: null",
    )
    desk.open(GLOBEX)

    seen = availability(desk.deps, GLOBEX_ID)

    assert seen.grid is None
    assert seen.working is None
    assert seen.plan.not_ready == ("RCA_NOT_APPROVED",)
