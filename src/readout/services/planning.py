"""Use case: plan one case file. Loads the case, reads the calendars it needs, runs the pure planner."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from readout.adapters.casefile import LoadedCase, load_case
from readout.domain.case import Availability, Case
from readout.domain.deadline import deadline, earliest_start
from readout.domain.intervals import Interval
from readout.domain.plan import Plan, Unreadable
from readout.domain.planner import not_ready_reasons, plan
from readout.errors import CalendarError, CaseFileError, SourceUnavailable
from readout.services.ports import CalendarReader

__all__ = ["PlannedCase", "plan_case_file", "planning_window"]

# Calendars are read a day beyond the planning span so that buffers near its edges see their neighbours.
_MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class PlannedCase:
    """A plan together with the case it was made for (names and zones are needed to present it)."""

    loaded: LoadedCase
    now: datetime
    plan: Plan

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


def plan_case_file(
    path: Path, reader: CalendarReader, clock: Callable[[], datetime], now: datetime | None = None
) -> PlannedCase:
    """Plan the case in ``path`` at ``now`` (else the file's ``now``, else the clock)."""
    loaded = load_case(path)
    when = now or loaded.now or clock()
    case = loaded.case
    window = planning_window(case, when)
    if window is None or not_ready_reasons(case):
        return PlannedCase(loaded, when, plan(case, when, {}, {}))
    case, unreadable = _with_calendar_blackouts(loaded, reader, window)
    people_busy = {
        pid: _busy_of(loaded, reader, window, f"people.{pid}.calendar", pid, case.people[pid].zone)
        for pid in case.people
        if case.people[pid].has_calendar
    }
    interpreter_busy = {
        interp.id: _busy_of(loaded, reader, window, f"interpreters.{i}.calendar", interp.id, interp.zone)
        for i, interp in enumerate(case.interpreters)
        if interp.has_calendar
    }
    result = plan(case, when, people_busy, interpreter_busy)
    return PlannedCase(loaded, when, dataclasses.replace(result, unknown=result.unknown + unreadable))


def _busy_of(
    loaded: LoadedCase, reader: CalendarReader, window: Interval, field: str, key: str, zone: ZoneInfo
) -> Availability:
    source = loaded.calendars[key]
    try:
        busy = reader.busy(
            source,
            window=window,
            zone=zone,
            tentative_is_busy=loaded.case.tentative_is_busy,
            exclude_escalation=loaded.case.escalation_id,
        )
    except CalendarError as err:  # a local calendar that cannot be read is invalid input, never "free"
        raise CaseFileError(str(loaded.source), field, str(err)) from err
    except SourceUnavailable as err:  # a remote source that fails makes its owner unknown, never "free"
        return Availability.unknown(str(err))
    return Availability.known(busy)


def _with_calendar_blackouts(
    loaded: LoadedCase, reader: CalendarReader, window: Interval
) -> tuple[Case, tuple[Unreadable, ...]]:
    """The case with its calendar blackouts added; an unreadable remote one blacks out the whole window."""
    case = loaded.case
    unreadable: list[Unreadable] = []
    blocks = list(case.blackouts.absolute)
    for source in loaded.blackout_calendars:
        try:
            blocks.extend(reader.blackouts(source, window=window, zone=case.customer_zone))
        except CalendarError as err:
            raise CaseFileError(str(loaded.source), "customer.cab_blackouts", str(err)) from err
        except (
            SourceUnavailable
        ) as err:  # fail closed: an unread change calendar could hide a blackout anywhere
            blocks.append(window)
            unreadable.append(Unreadable("customer", "cab_blackouts", str(err)))
    blackouts = dataclasses.replace(case.blackouts, absolute=tuple(blocks))
    return dataclasses.replace(case, blackouts=blackouts), tuple(unreadable)
