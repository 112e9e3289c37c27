"""Busy time and blackouts from iCalendar (RFC 5545) files: the reading side of the calendar port.

Only intervals leave this module: merged, sorted, and clipped to the window asked for. Event content
(SUMMARY, DESCRIPTION, LOCATION, ATTENDEE, ORGANIZER...) is never kept, returned, logged or quoted in an
error: errors name the file, a line number and what is wrong, in our own words. Anything that cannot be read
raises ``CalendarError``, so a broken calendar is never mistaken for a free one; so does one over a limit of
``input_limits`` (a local file's bytes, occurrences per event and per calendar). A remote read that passes its
gathering deadline stops with ``read_deadline.ReadAbandoned``.

Busy time (spec section 4): every VEVENT occurrence except ``STATUS:CANCELLED`` and ``TRANSP:TRANSPARENT``
ones, ``STATUS:TENTATIVE`` only when ``tentative_is_busy``, and holds this product placed for the same
escalation (``X-READOUT-ESCALATION``); VFREEBUSY periods except FBTYPE=FREE (and BUSY-TENTATIVE unless
``tentative_is_busy``). Blackouts: every VEVENT occurrence that is not cancelled, whatever its TRANSP or
tentative status, and every VFREEBUSY period that is not FREE.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from icalendar import Calendar, Component, Timezone

from readout.adapters.ics.budget import Budget
from readout.adapters.ics.cache import BusyCache, covering, digest, shared_cache
from readout.adapters.ics.expand import Traits, event_occurrences, freebusy_periods
from readout.adapters.ics.file_digests import FileDigests, shared_digests
from readout.adapters.ics.parser import TIMING, parse_calendars
from readout.adapters.ics.problem import IcsProblem
from readout.adapters.ics.source import SourceText, shown_component
from readout.adapters.ics.values import Clock
from readout.adapters.input_limits import CALENDAR_FILE_MAX_BYTES, FileRefused, read_regular_file_and_status
from readout.domain.intervals import Interval, intersect, merge
from readout.errors import CalendarError
from readout.services.read_deadline import ReadAbandoned, check

__all__ = ["parse_blackouts", "parse_busy", "read_blackouts", "read_busy"]

_SHARED = shared_cache()
_DIGESTS = shared_digests()

# A VEVENT with one of the TIMING properties unparseable is an error: its loss would change busy time.
# Other broken properties (a mangled GEO, an odd X- property) are ignored, as every calendar client does.


@dataclass(frozen=True, slots=True)
class _Counting:
    """Which occurrences and free/busy periods block time."""

    tentative: bool
    transp_frees: bool
    exclude_escalation: str | None = None

    def counts(self, traits: Traits) -> bool:
        """Whether an occurrence with these traits blocks time."""
        if traits.status == "CANCELLED" or (self.transp_frees and traits.transparent):
            return False
        if traits.status == "TENTATIVE" and not self.tentative:
            return False
        return self.exclude_escalation is None or traits.escalation != self.exclude_escalation

    def counts_period(self, kind: str) -> bool:
        """Whether a FREEBUSY period of this FBTYPE blocks time (unknown types count as BUSY, RFC 5545)."""
        return kind != "FREE" and (kind != "BUSY-TENTATIVE" or self.tentative)


def read_busy(
    path: Path,
    *,
    window: Interval,
    zone: ZoneInfo,
    tentative_is_busy: bool,
    exclude_escalation: str | None = None,
    cache: BusyCache | None = _SHARED,
) -> tuple[Interval, ...]:
    """Busy intervals of the calendar at ``path`` inside ``window`` (merged, sorted, clipped).

    ``zone`` is the owner's time zone, used for DATE values and floating times. Its parsed busy time comes
    from ``cache`` when the same bytes were read before (adapters/ics/cache.py; None: always parse); a file
    whose status shows it unchanged since then is not even read again (adapters/ics/file_digests.py).
    """
    counting = _Counting(tentative_is_busy, transp_frees=True, exclude_escalation=exclude_escalation)
    return _file_intervals(path, window, zone, counting, cache)


def read_blackouts(
    path: Path, *, window: Interval, zone: ZoneInfo, cache: BusyCache | None = _SHARED
) -> tuple[Interval, ...]:
    """Blackout blocks of the calendar at ``path`` inside ``window`` (merged, sorted, clipped)."""
    return _file_intervals(path, window, zone, _BLACKOUTS, cache)


def parse_busy(
    data: bytes,
    *,
    source: str,
    window: Interval,
    zone: ZoneInfo,
    tentative_is_busy: bool,
    exclude_escalation: str | None = None,
    cache: BusyCache | None = _SHARED,
) -> tuple[Interval, ...]:
    """Like ``read_busy``, for calendar bytes fetched from ``source`` (named in errors)."""
    counting = _Counting(tentative_is_busy, transp_frees=True, exclude_escalation=exclude_escalation)
    return _intervals(data, source, window, zone, counting, cache)


def parse_blackouts(
    data: bytes, *, source: str, window: Interval, zone: ZoneInfo, cache: BusyCache | None = _SHARED
) -> tuple[Interval, ...]:
    """Like ``read_blackouts``, for calendar bytes fetched from ``source`` (named in errors)."""
    return _intervals(data, source, window, zone, _BLACKOUTS, cache)


_BLACKOUTS = _Counting(tentative=True, transp_frees=False)


def _file_intervals(
    path: Path,
    window: Interval,
    zone: ZoneInfo,
    counting: _Counting,
    cache: BusyCache | None,
    digests: FileDigests = _DIGESTS,
) -> tuple[Interval, ...]:
    """The blocking intervals of the calendar file at ``path``: from ``cache`` without reading the file when
    its status shows it unchanged since its bytes were hashed, else read (and remembered) as any calendar."""
    if cache is not None and cache.enabled:
        known = digests.unchanged(path)
        if known is not None:
            check()
            found = cache.known(known, (zone, counting), window)
            if found is not None:
                return found
    data, status = _read_file(path)
    if cache is not None and cache.enabled:
        digests.remember(path, status, digest(data))
    return _intervals(data, str(path), window, zone, counting, cache)


def _read_file(path: Path) -> tuple[bytes, os.stat_result]:
    """The file's bytes and status; a file that cannot be read is a ``CalendarError``, never an empty
    calendar. Only a regular file of at most ``CALENDAR_FILE_MAX_BYTES`` is read (never a FIFO, a device or a
    directory)."""
    try:
        return read_regular_file_and_status(path, CALENDAR_FILE_MAX_BYTES)
    except FileNotFoundError:
        problem = "file not found"
    except FileRefused as refused:
        problem = str(refused)
    except PermissionError:
        problem = "permission denied"
    except OSError as error:
        problem = f"cannot be read ({error.strerror or type(error).__name__})"
    raise CalendarError(str(path), problem)


def _intervals(
    data: bytes, source: str, window: Interval, zone: ZoneInfo, counting: _Counting, cache: BusyCache | None
) -> tuple[Interval, ...]:
    """The blocking intervals of an iCalendar text, clipped to ``window``: from ``cache`` when it has them.

    The cache expands over the window rounded out to whole days and clips. Should that wider read be refused
    (an error only the extra hours reach, or an occurrence limit they pass), the window itself is read, as
    without a cache, so the answer or the refusal is always the uncached one."""
    if cache is None or not cache.enabled:
        return _expanded(data, source, window, zone, counting)
    check()  # a read past its gathering deadline is abandoned, kept answer or not, as an uncached one is
    try:
        return cache.clipped(
            data, (zone, counting), window, lambda span: _expanded(data, source, span, zone, counting)
        )
    except CalendarError:
        if covering(window) == window:
            raise
    return _expanded(data, source, window, zone, counting)


def _expanded(
    data: bytes, source: str, window: Interval, zone: ZoneInfo, counting: _Counting
) -> tuple[Interval, ...]:
    """The blocking intervals of an iCalendar text, clipped to ``window`` (parsed and expanded now)."""
    text = SourceText(data)
    calendars = _parse(text, source)
    budget = Budget()
    try:
        spans = [span for calendar in calendars for span in _spans(calendar, zone, window, counting, budget)]
    except IcsProblem as problem:
        detail = text.describe(problem, calendars)
    except ReadAbandoned:
        raise
    except Exception as error:  # a library choking on odd input; its message may quote it
        detail = f"the calendar cannot be interpreted ({type(error).__name__})"
    else:
        return tuple(intersect(merge(spans), [window]))
    raise CalendarError(source, detail)


def _parse(text: SourceText, source: str) -> list[Calendar]:
    """The VCALENDARs of the file (there may be several), checked for unreadable timing properties."""
    problem = text.first_problem()
    if problem is None:
        try:
            calendars = parse_calendars(text.content)
        except ReadAbandoned:
            raise
        except Exception:  # icalendar's messages quote the offending line: use ours
            problem = text.defect() or "not a valid iCalendar file"
        else:
            problem = _unreadable(calendars, text)
            if problem is None:
                return [calendar for calendar in calendars if isinstance(calendar, Calendar)]
    raise CalendarError(source, problem)


def _unreadable(calendars: Sequence[Component], text: SourceText) -> str | None:
    """A description of the first unusable component, or None when all can be used."""
    for calendar in calendars:
        if calendar.name != "VCALENDAR":
            return "a component was found outside a VCALENDAR"
        misplaced = _misplaced(calendar)
        if misplaced:
            return misplaced
        for component in calendar.subcomponents:
            for prop, _message in component.errors if component.name == "VEVENT" else ():
                if prop is None or prop.upper() in TIMING:
                    what = f"{prop} cannot be parsed" if prop else "a line cannot be parsed"
                    return text.describe(IcsProblem(what, component, prop or ""), calendars)
    return None


_BUSY_COMPONENTS = frozenset({"VCALENDAR", "VEVENT", "VFREEBUSY"})


def _misplaced(calendar: Component) -> str | None:
    """Busy-bearing components nested where RFC 5545 does not allow them would be silently skipped: refuse."""
    stack = [(calendar.name, child) for child in calendar.subcomponents]
    while stack:
        parent, component = stack.pop()
        if (component.name in _BUSY_COMPONENTS and parent != "VCALENDAR") or component.name == "VCALENDAR":
            inside = shown_component(parent or "")
            return f"a {component.name} is nested inside {inside}; RFC 5545 does not allow it"
        stack.extend((component.name, child) for child in component.subcomponents)
    return None


def _spans(
    calendar: Calendar, zone: ZoneInfo, window: Interval, counting: _Counting, budget: Budget
) -> list[Interval]:
    """Blocking spans of one VCALENDAR: VEVENT occurrences and VFREEBUSY periods."""
    timezones = {
        str(tz["TZID"]): tz for tz in calendar.subcomponents if isinstance(tz, Timezone) and "TZID" in tz
    }
    clock = Clock(zone, timezones, budget)
    events = [component for component in calendar.subcomponents if component.name == "VEVENT"]
    spans = [o.span for o in event_occurrences(events, clock, window, budget) if counting.counts(o.traits)]
    for component in calendar.subcomponents:
        if component.name == "VFREEBUSY":
            try:
                periods = list(freebusy_periods(component, clock, window, budget))
            except IcsProblem as problem:
                raise problem.within(component) from None
            spans += [period.span for period in periods if counting.counts_period(period.kind)]
    return spans
