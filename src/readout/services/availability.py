"""Read-only use case: what an escalation's page shows about its slots, from a fresh plan of the stored case.

``availability`` reads the stored case document and the calendars it names, plans it as of the planning
instant (``--now`` when pinned, else the document's ``now:``, else the clock), and returns the plan with the
planner's own grid (``family_grid``: every candidate start with the mask of every family it breaks, as the
diagnosis reads it). Compliant starts are the plan's candidates and near misses the plan's near misses by
construction. Nothing is written: the stored plan is compared, not replaced (``stale`` says when the fresh
plan's candidates or near misses differ from the last recorded plan's; re-planning is
``escalations.plan_escalation``).

Free/busy only: the calendars give busy intervals, never an event's title or details.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from readout.domain.case import Case
from readout.domain.deadline import business_days_after, deadline, is_business_day
from readout.domain.diagnosis import Calendars
from readout.domain.family_grid import FamilyGrid, family_grid
from readout.domain.localtime import local_date
from readout.domain.plan import Plan
from readout.services.context import AsOf, Deps, load_escalation, planning_instant, stored_case
from readout.services.planning import PlannedCase, plan_case
from readout.services.queries import Status, escalation_status

__all__ = [
    "Availability",
    "DeadlineWorking",
    "availability",
    "deadline_working",
    "planned_case_with_blackouts",
]


@dataclass(frozen=True)
class DeadlineWorking:
    """How the contractual deadline was counted: from the approval instant's local date in the contract zone,
    ``due`` business days (``counted``, Monday to Friday and not a holiday), skipping ``holidays`` (weekday
    holidays passed over) and ``weekends``; the deadline is the local midnight after the last counted day."""

    zone: str
    approved_at: datetime
    due: int
    counted: tuple[date, ...]
    holidays: tuple[date, ...]
    weekends: tuple[date, ...]
    deadline: datetime


@dataclass(frozen=True)
class Availability:
    """The page's data: the stored status, the fresh plan (``planned``), its grid (None when the plan has
    none: not ready, or no time left), the deadline's working (None before RCA approval) and whether the
    fresh plan's candidates or near misses differ from the stored plan's (``stale``)."""

    status: Status
    planned: PlannedCase
    as_of: AsOf
    grid: FamilyGrid | None
    working: DeadlineWorking | None
    stale: bool

    @property
    def plan(self) -> Plan:
        return self.planned.plan

    @property
    def case(self) -> Case:
        """The case as planned: with the blackout blocks read from blackout calendars."""
        return planned_case_with_blackouts(self.planned)


def deadline_working(case: Case) -> DeadlineWorking | None:
    """The deadline's working for ``case`` (None before RCA approval)."""
    if case.approved_at is None:
        return None
    zone = case.business_zone
    first = local_date(case.approved_at, zone)
    counted = business_days_after(first, case.readout.due_business_days, case.business_holidays)
    holidays, weekends = [], []
    day = first + timedelta(days=1)
    while day <= counted[-1]:
        if day.weekday() >= 5:
            weekends.append(day)
        elif not is_business_day(day, case.business_holidays):
            holidays.append(day)
        day += timedelta(days=1)
    due = deadline(case.approved_at, case.readout.due_business_days, zone, case.business_holidays)
    return DeadlineWorking(
        zone.key,
        case.approved_at,
        case.readout.due_business_days,
        tuple(counted),
        tuple(holidays),
        tuple(weekends),
        due,
    )


def planned_case_with_blackouts(planned: PlannedCase) -> Case:
    """The case with the blocks its blackout calendars gave (as the planner saw it), labelled."""
    calendars = planned.calendars
    return planned.case if calendars is None else calendars.case_as_planned(planned.case)


def _grid(planned: PlannedCase) -> FamilyGrid | None:
    calendars = planned.calendars or Calendars({}, {})
    if planned.calendars is None and (planned.loaded.calendars or planned.loaded.blackout_calendars):
        return None  # not read (not ready): nothing to draw
    return family_grid(
        planned_case_with_blackouts(planned), planned.plan, calendars.people, calendars.interpreters
    )


def _starts(plan: Plan) -> tuple[frozenset[datetime], frozenset[datetime]]:
    """The starts of a plan's candidates and of its near misses."""
    return frozenset(c.start for c in plan.candidates), frozenset(m.start for m in plan.near_misses)


def availability(deps: Deps, escalation_id: str) -> Availability:
    """The escalation's status and a fresh, read-only plan of its stored case with the planner's grid."""
    status = escalation_status(deps, escalation_id)
    with deps.look() as uow:
        loaded = stored_case(deps, uow, load_escalation(uow, escalation_id))
    now, as_of = planning_instant(deps, loaded)
    planned = plan_case(loaded, deps.reader, now, deps.source_timeout)
    grid = _grid(planned) if not planned.plan.not_ready else None
    stale = status.plan is not None and _starts(status.plan) != _starts(planned.plan)  # what may be held
    return Availability(status, planned, as_of, grid, deadline_working(loaded.case), stale)
