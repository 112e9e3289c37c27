"""The availability grid's cells, columns and labels (presentation/grid.py), without a browser."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from readout.adapters.casefile.loader import load_case
from readout.adapters.ics.files import IcsFileReader
from readout.domain.family_grid import family_grid
from readout.domain.intervals import Interval
from readout.presentation.grid import (
    CELL_TEXT,
    Cell,
    Kind,
    attendee_cell,
    bounded,
    build_grid,
    column_kind,
    column_mark,
    day_heading,
    known_zone,
    runs,
    utc_offset,
    why_text,
)
from readout.services.availability import planned_case_with_blackouts
from readout.services.planning import plan_case
from tests.web.conftest import EXAMPLES, GLOBEX

CHICAGO = ZoneInfo("America/Chicago")


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.mark.parametrize(
    ("flags", "cell"),
    [
        (
            {"unreadable": True, "verified": True, "inside": True, "busy": False, "held": False},
            Cell.UNREADABLE,
        ),
        ({"unreadable": False, "verified": True, "inside": False, "busy": True, "held": False}, Cell.OUTSIDE),
        ({"unreadable": False, "verified": True, "inside": True, "busy": True, "held": True}, Cell.BUSY),
        (
            {"unreadable": False, "verified": True, "inside": True, "busy": False, "held": True},
            Cell.TENTATIVE,
        ),
        (
            {"unreadable": False, "verified": False, "inside": True, "busy": False, "held": False},
            Cell.UNVERIFIED,
        ),
        ({"unreadable": False, "verified": True, "inside": True, "busy": False, "held": False}, Cell.FREE),
    ],
)
def test_a_persons_cell_fails_closed_and_says_what_is_not_known(flags: dict[str, bool], cell: Cell) -> None:
    assert attendee_cell(**flags) is cell


def test_every_cell_has_words_and_unknown_ones_say_why() -> None:
    assert set(CELL_TEXT) == set(Cell)
    assert CELL_TEXT[Cell.UNVERIFIED] == "unknown: free/busy not verified (no calendar)"
    assert CELL_TEXT[Cell.UNREADABLE] == "unknown: calendar unreadable"


def test_a_column_is_compliant_a_near_miss_or_blocked() -> None:
    a, b, c = _at("2026-11-17T18:00:00Z"), _at("2026-11-19T15:00:00Z"), _at("2026-11-19T03:00:00Z")
    assert [column_kind(s, {a}, {b}) for s in (a, b, c)] == [Kind.COMPLIANT, Kind.NEAR_MISS, Kind.BLOCKED]
    assert column_mark(Kind.BLOCKED, False) == ""
    assert column_mark(Kind.NEAR_MISS, True) == "k-near-miss held"


def test_what_blocks_a_column_is_said_in_words_with_the_family_and_who_may_waive() -> None:
    names = {"fix_owner": "Ravi Kumar"}
    blocked = why_text(Kind.BLOCKED, ("COVERAGE", "ATTENDEE:fix_owner", "INTERPRETER"), names, "es")
    assert blocked == (
        "Blocked by: outside support coverage hours (COVERAGE); Ravi Kumar busy or unavailable "
        "(ATTENDEE:fix_owner); no approved 'es' interpreter free (INTERPRETER)."
    )
    near = why_text(Kind.NEAR_MISS, ("HANDOFF_WINDOW",), names, None)
    assert "needs a waiver: crosses a handoff window (HANDOFF_WINDOW)" in near
    assert "fix owner's manager or the premium support program manager" in near
    assert why_text(Kind.COMPLIANT, (), names, None) == "Compliant: every rule is met."


def test_offsets_and_day_headings_name_a_daylight_saving_change() -> None:
    assert utc_offset(_at("2026-11-17T18:00:00Z"), ZoneInfo("Asia/Kolkata")) == "UTC+05:30"
    assert utc_offset(_at("2026-11-17T18:00:00Z"), CHICAGO) == "UTC\u221206:00"
    assert utc_offset(_at("2026-11-17T18:00:00Z"), ZoneInfo("UTC")) == "UTC"
    day = [_at("2026-11-01T05:00:00Z") + timedelta(hours=h) for h in range(0, 20, 4)]  # CDT, then CST
    assert (
        day_heading(date(2026, 11, 1), day, CHICAGO)
        == "Sun 1 Nov, Chicago (UTC\u221205:00, then UTC\u221206:00)"
    )


@pytest.mark.parametrize("key", ["", "Mars/Olympus_Mons", "../../etc/passwd", "EST5EDT" * 20, "Europe/"])
def test_a_zone_that_is_not_one_is_refused_quietly(key: str) -> None:
    assert known_zone(key) is None


def test_a_known_zone_and_its_old_alias_are_accepted() -> None:
    assert known_zone("Asia/Kolkata") == ZoneInfo("Asia/Kolkata")
    assert known_zone("Asia/Calcutta") is not None
    assert known_zone("UTC") == ZoneInfo("UTC")


def test_a_long_horizon_keeps_the_marked_columns_then_those_in_hours() -> None:
    keep = np.array([False, True, False, False, False, True], dtype=bool)
    in_hours = np.array([True, True, False, True, False, False], dtype=bool)
    assert bounded(keep, in_hours, 10).tolist() == [0, 1, 2, 3, 4, 5]
    assert bounded(keep, in_hours, 3).tolist() == [0, 1, 5]
    assert bounded(keep, in_hours, 4).tolist() == [0, 1, 3, 5]


def test_window_rows_run_together_but_a_marked_column_keeps_its_mark() -> None:
    cells = [Cell.OPEN, Cell.OPEN, Cell.OPEN, Cell.CLOSED, Cell.CLOSED]
    marks = ["", "k-compliant", "", "", ""]
    got = [(r.cell, r.mark, r.first, r.span) for r in runs(cells, marks, 0, 5)]
    assert got == [
        (Cell.OPEN, "", 0, 1),
        (Cell.OPEN, "k-compliant", 1, 1),
        (Cell.OPEN, "", 2, 1),
        (Cell.CLOSED, "", 3, 2),
    ]
    assert [(r.first, r.last) for r in runs(cells, marks, 3, 5)] == [(3, 4)]


def test_the_globex_grid_marks_the_plans_slots_and_shows_busy_time_only_as_busy() -> None:
    loaded = load_case(EXAMPLES / GLOBEX / "case.yaml")
    assert loaded.now is not None
    planned = plan_case(loaded, IcsFileReader(), loaded.now)
    assert planned.calendars is not None
    case = planned_case_with_blackouts(planned)
    fam = family_grid(case, planned.plan, planned.calendars.people, planned.calendars.interpreters)
    assert fam is not None
    best = planned.plan.candidates[0]
    grid = build_grid(case, planned.plan, fam, [Interval(best.start, best.end)], ZoneInfo("Asia/Kolkata"))

    kinds = {c.start: c.kind for c in grid.columns}
    assert {s for s, k in kinds.items() if k is Kind.COMPLIANT} == {c.start for c in planned.plan.candidates}
    assert {s for s, k in kinds.items() if k is Kind.NEAR_MISS} == {m.start for m in planned.plan.near_misses}
    assert grid.hidden == 0
    assert len(grid.columns) == planned.plan.slots_considered
    labels = [r.label for r in grid.rows]
    assert labels[:6] == ["Dana Ortiz", "Ravi Kumar", "Mei Chen", "Luis Garza", "Ana Ruiz", "Sam Patel"]
    assert labels[6:] == [
        "Support coverage hours",
        "Customer meeting hours",
        "CAB blackouts",
        "Handoff windows",
    ]
    assert [r.kind for r in grid.rows][4:6] == ["interpreter", "optional"]
    at = next(k for k, c in enumerate(grid.columns) if c.start == best.start)
    assert grid.columns[at].held
    assert grid.columns[at].label == "23:30"
    rows = {r.label: r for r in grid.rows}
    assert rows["Dana Ortiz"].cells[at] is Cell.TENTATIVE  # free, and held for this readout
    assert rows["Dana Ortiz"].local[at] == "12:00 CST"
    second = next(k for k, c in enumerate(grid.columns) if c.start == planned.plan.candidates[1].start)
    assert rows["Luis Garza"].cells[second] is Cell.UNVERIFIED  # windows only, no calendar
    assert rows["Luis Garza"].cells[at] is Cell.TENTATIVE
    assert Cell.BUSY in rows["Dana Ortiz"].cells
    assert Cell.OUTSIDE in rows["Luis Garza"].cells  # outside his Tue-Thu 09:00-13:00
    assert Cell.BLACKOUT in rows["CAB blackouts"].cells
    assert Cell.HANDOFF in rows["Handoff windows"].cells
    assert next(d.heading for d in grid.days) == "Fri 13 Nov, Kolkata (UTC+05:30)"


def test_a_capped_grid_says_how_many_starts_it_left_out() -> None:
    loaded = load_case(EXAMPLES / GLOBEX / "case.yaml")
    assert loaded.now is not None
    planned = plan_case(loaded, IcsFileReader(), loaded.now)
    assert planned.calendars is not None
    case = planned_case_with_blackouts(planned)
    fam = family_grid(case, planned.plan, planned.calendars.people, planned.calendars.interpreters)
    assert fam is not None
    grid = build_grid(case, planned.plan, fam, [], ZoneInfo("UTC"), cap=50)
    assert len(grid.columns) == 50
    assert grid.hidden == planned.plan.slots_considered - 50
    kept = {c.start for c in grid.columns}
    assert {c.start for c in planned.plan.candidates} <= kept
    assert {m.start for m in planned.plan.near_misses} <= kept
    assert sum(d.hi - d.lo for d in grid.days) == 50
