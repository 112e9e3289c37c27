"""Use case: plan one case. Reads the calendars it needs (outside any transaction), runs the pure planner."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from readout.domain.case import Case
from readout.domain.case_document import LoadedCase
from readout.domain.deadline import deadline, earliest_start
from readout.domain.diagnosis import Calendars
from readout.domain.intervals import Interval
from readout.domain.plan import Plan
from readout.domain.planner import not_ready_reasons, plan
from readout.observability import plan_timed
from readout.services.gathering import gather
from readout.services.ports import CalendarReader

__all__ = ["PlannedCase", "plan_case", "planning_window"]

# Calendars are read a day beyond the planning span so that buffers near its edges see their neighbours.
_MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class PlannedCase:
    """A plan together with the case it was made for (names and zones are needed to present it)."""

    loaded: LoadedCase
    now: datetime
    plan: Plan
    calendars: Calendars | None = None  # the busy time the plan was made from, for its explanations

    @property
    def case(self) -> Case:
        return self.loaded.case


def planning_window(case: Case, now: datetime) -> Interval | None:
    """The span whose calendars matter: [earliest - 1 day, deadline + 1 day]; None before RCA approval."""
    if case.approved_at is None:
        return None
    due = deadline(
        case.approved_at, case.readout.due_business_days, case.business_zone, case.business_holidays
    )
    earliest = earliest_start(now, case.approved_at, case.readout.min_notice)
    return Interval(min(earliest, due) - _MARGIN, max(earliest, due) + _MARGIN)


def plan_case(
    loaded: LoadedCase, reader: CalendarReader, when: datetime, source_timeout: float = 10.0
) -> PlannedCase:
    """Plan ``loaded`` as of ``when``: read its calendars, then run the planner (timed: the plan duration
    metric, by the plan's status)."""
    started = time.perf_counter()
    planned = _plan_case(loaded, reader, when, source_timeout)
    plan_timed(planned.plan.status.value, time.perf_counter() - started)
    return planned


def _plan_case(
    loaded: LoadedCase, reader: CalendarReader, when: datetime, source_timeout: float
) -> PlannedCase:
    case = loaded.case
    window = planning_window(case, when)
    if window is None or not_ready_reasons(case):
        return PlannedCase(loaded, when, plan(case, when, {}, {}))
    found = gather(loaded, reader, window, source_timeout)
    calendars = Calendars(found.people, found.interpreters, found.blackouts, found.blackout_labels)
    result = plan(calendars.case_as_planned(case), when, found.people, found.interpreters)
    return PlannedCase(
        loaded, when, dataclasses.replace(result, unknown=result.unknown + found.unreadable), calendars
    )
