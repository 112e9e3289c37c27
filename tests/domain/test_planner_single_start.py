"""The edge of the planning span: when the earliest start plus the duration is exactly the deadline, that one
start is still possible (a readout may end at the deadline) and is offered."""

from __future__ import annotations

from datetime import timedelta

from readout.domain.case import Coverage, Readout
from readout.domain.plan import PlanStatus
from readout.domain.planner import plan
from tests.domain.builders import make_case, u, weekly

DEADLINE = u(2026, 11, 4, 0)  # make_case: approved Mon 2 Nov 12:00Z, one business day -> Wed 00:00Z
HOUR = timedelta(hours=1)
ROUND_THE_CLOCK = Coverage(weekly({"daily": "00:00-24:00"}))  # coverage never blocks the last hour


def test_exactly_one_possible_start_is_a_candidate() -> None:
    now = u(2026, 11, 3, 23)  # Tue 23:00Z, no notice: 23:00 + 1 h == the deadline
    result = plan(make_case(coverage=ROUND_THE_CLOCK), now, {})

    assert result.deadline == DEADLINE
    assert result.earliest_start == now
    assert result.earliest_start + HOUR == result.deadline
    assert result.slots_considered == 1
    assert [(c.start, c.end) for c in result.candidates] == [(now, DEADLINE)]
    assert result.status is PlanStatus.READY


def test_exactly_one_possible_start_after_the_notice_period_is_a_candidate() -> None:
    # The notice, not the clock, puts the earliest start one duration before the deadline.
    notice = Readout(due_business_days=1, duration=HOUR, min_notice=timedelta(hours=5))
    result = plan(make_case(coverage=ROUND_THE_CLOCK, readout=notice), u(2026, 11, 3, 18), {})

    assert result.earliest_start == u(2026, 11, 3, 23)
    assert [c.start for c in result.candidates] == [u(2026, 11, 3, 23)]
    assert result.status is PlanStatus.READY


def test_one_minute_later_nothing_fits() -> None:
    # The contrast: the same case with the earliest start a minute on leaves no start at all.
    result = plan(make_case(coverage=ROUND_THE_CLOCK, granularity=1), u(2026, 11, 3, 23, 1), {})

    assert result.earliest_start + HOUR > result.deadline
    assert result.slots_considered == 0
    assert result.candidates == ()
    assert result.status is PlanStatus.NEEDS_EXCEPTION
