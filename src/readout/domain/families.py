"""Constraint families (spec section 5): what each slot must satisfy, evaluated on prepared timelines.

The family names and who may waive them are in ``names``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property, lru_cache

import numpy as np
from numpy.typing import NDArray

from readout.domain.case import Availability, BusyStatus, Case, Interpreter, Person
from readout.domain.intervals import Interval
from readout.domain.names import (
    CAB_BLACKOUT,
    COVERAGE,
    CUSTOMER_HOURS,
    HANDOFF_WINDOW,
    INTERPRETER,
    ROLES,
    attendee_family,
)
from readout.domain.timeline import Timeline
from readout.domain.weekly import WeeklyWindows

__all__ = ["Attendance", "Constraints", "clear_cache", "window_timeline"]


@dataclass(frozen=True)
class Attendance:
    """Whether one person or interpreter can attend a slot: inside their windows and free."""

    windows: Timeline | None  # None: no availability restriction
    busy: Timeline
    unknown: bool

    def can_attend_all(self, starts: NDArray[np.int64], ends: NDArray[np.int64]) -> NDArray[np.bool_]:
        """For each slot (microsecond bounds): inside their windows and free. Fail closed: an unknown
        calendar can attend nothing."""
        if self.unknown:
            return np.zeros(len(starts), dtype=bool)
        free = ~self.busy.overlaps_all(starts, ends)
        return free if self.windows is None else free & self.windows.covers_all(starts, ends)


def _windows(weekly: WeeklyWindows, span: Interval, skip: frozenset[date] = frozenset()) -> Timeline:
    """Weekly windows over the local dates touching ``span`` (plus a day each side)."""
    first = span.start.astimezone(weekly.zone).date() - timedelta(days=1)
    last = span.end.astimezone(weekly.zone).date() + timedelta(days=1)
    return window_timeline(weekly, first, last, skip)


def clear_cache() -> None:
    """Forget the window timelines cached by value."""
    window_timeline.cache_clear()


@lru_cache(maxsize=1024)
def window_timeline(weekly: WeeklyWindows, first: date, last: date, skip: frozenset[date]) -> Timeline:
    """The windows starting on the local dates ``[first, last]`` not in ``skip``, merged. Cached by value:
    the windows of a case stay the same while its calendars change, so a re-plan expands nothing again."""
    return Timeline.of_arrays(*weekly.expand_micros(first, last, skip))


def _attendance(
    availability: WeeklyWindows | None, has_calendar: bool, busy: Availability | None, span: Interval
) -> Attendance:
    if busy is None:  # nothing was read: fail closed when a calendar was configured
        busy = Availability.unknown("calendar not read") if has_calendar else Availability.unverified()
    windows = _windows(availability, span) if availability is not None else None
    return Attendance(windows, busy.timeline, busy.status is BusyStatus.UNKNOWN)


class Constraints:
    """All families of one case, prepared as timelines over the planning span for fast slot checks."""

    def __init__(
        self,
        case: Case,
        span: Interval,
        people_busy: Mapping[str, Availability],
        interpreter_busy: Mapping[str, Availability],
    ) -> None:
        self.case = case
        self.coverage = self._coverage(case, span)
        self.meeting = self._meeting(case, span)
        self.blackouts = self._blackouts(case, span)
        self.handoffs = self._handoffs(case, span)
        self.roles: dict[str, Attendance] = {}
        for role in ROLES:
            person = case.people[case.roles[role] or ""]
            self.roles[role] = _attendance(
                person.availability, person.has_calendar, people_busy.get(person.id), span
            )
        self.interpreters: list[tuple[Interpreter, Attendance]] = []
        if case.readout.language:
            for interp in case.interpreters:
                if interp.qualifies(case.readout.language, case.customer_id):
                    att = _attendance(
                        interp.availability, interp.has_calendar, interpreter_busy.get(interp.id), span
                    )
                    self.interpreters.append((interp, att))
        self._span = span
        self._people_busy = people_busy

    @cached_property
    def optional(self) -> list[tuple[Person, Attendance]]:
        """Optional attendees who are listed in people, with their attendance. Built on first use: only the
        ranking of compliant slots asks, so a plan without any never prepares their busy time."""
        out: list[tuple[Person, Attendance]] = []
        for pid in self.case.optional_attendees:
            if pid not in self.case.people:
                continue  # reported by the planner; an unknown optional attendee is never free
            person = self.case.people[pid]
            busy = self._people_busy.get(pid)
            out.append((person, _attendance(person.availability, person.has_calendar, busy, self._span)))
        return out

    @staticmethod
    def _coverage(case: Case, span: Interval) -> Timeline | None:
        if case.coverage is None:
            return None
        return _windows(case.coverage.hours, span, case.coverage.holidays.dates)

    @staticmethod
    def _meeting(case: Case, span: Interval) -> Timeline | None:
        if case.meeting_hours is None:
            return None
        return _windows(case.meeting_hours.hours, span, case.meeting_hours.holidays.dates)

    @staticmethod
    def _blackouts(case: Case, span: Interval) -> Timeline:
        absolute = Timeline(case.blackouts.absolute)
        starts, ends = [absolute.starts], [absolute.ends]
        for weekly in case.blackouts.weekly:
            windows = _windows(weekly, span)
            starts.append(windows.starts)
            ends.append(windows.ends)
        return Timeline.of_arrays(np.concatenate(starts), np.concatenate(ends))

    @staticmethod
    def _handoffs(case: Case, span: Interval) -> Timeline:
        starts: list[NDArray[np.int64]] = [np.zeros(0, dtype=np.int64)]
        ends: list[NDArray[np.int64]] = [np.zeros(0, dtype=np.int64)]
        for pid in {case.roles[r] for r in ROLES}:
            for weekly in case.people[pid or ""].protected:
                windows = _windows(weekly, span)
                starts.append(windows.starts)
                ends.append(windows.ends)
        return Timeline.of_arrays(np.concatenate(starts), np.concatenate(ends))

    def broken_all(
        self,
        starts: NDArray[np.int64],
        ends: NDArray[np.int64],
        interpreter_index: NDArray[np.int64] | None = None,
    ) -> dict[str, NDArray[np.bool_]]:
        """For every family, which of the slots (microsecond bounds) break it (spec section 5).

        ``interpreter_index``: ``interpreter_index_all`` for the same slots, when the caller has it already.
        """
        broken: dict[str, NDArray[np.bool_]] = {}
        if self.coverage is not None:
            broken[COVERAGE] = ~self.coverage.covers_all(starts, ends)
        if self.meeting is not None:
            broken[CUSTOMER_HOURS] = ~self.meeting.covers_all(starts, ends)
        broken[CAB_BLACKOUT] = self.blackouts.overlaps_all(starts, ends)
        broken[HANDOFF_WINDOW] = self.handoffs.overlaps_all(starts, ends)
        for role, att in self.roles.items():
            broken[attendee_family(role)] = ~att.can_attend_all(starts, ends)
        if self.case.readout.language:
            if interpreter_index is None:
                interpreter_index = self.interpreter_index_all(starts, ends)
            broken[INTERPRETER] = interpreter_index < 0
        return broken

    def interpreter_index_all(self, starts: NDArray[np.int64], ends: NDArray[np.int64]) -> NDArray[np.int64]:
        """Per slot, the position among qualifying interpreters of the first who can attend, or -1."""
        if not self.interpreters:
            return np.full(len(starts), -1, dtype=np.int64)
        able = np.stack([att.can_attend_all(starts, ends) for _, att in self.interpreters])
        first = np.argmax(able, axis=0).astype(np.int64)
        return np.where(able.any(axis=0), first, -1)
