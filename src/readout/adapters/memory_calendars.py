"""In-memory twin of the calendar port, for unit tests of services."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from zoneinfo import ZoneInfo

from readout.domain.intervals import Interval
from readout.errors import CalendarError, SourceUnavailable
from readout.services.ports import CalendarSource

__all__ = ["InMemoryCalendarReader"]


class InMemoryCalendarReader:
    """Serves busy intervals per source path; a path mapped to an exception text fails like a bad file."""

    def __init__(self, calendars: Mapping[Path, tuple[Interval, ...] | str]) -> None:
        self.calendars = dict(calendars)
        self.reads: list[CalendarSource] = []

    def _read(self, source: CalendarSource, window: Interval) -> tuple[Interval, ...]:
        self.reads.append(source)
        if not isinstance(source, Path):
            raise SourceUnavailable(source.shown, "unreachable")
        entry = self.calendars.get(source, ())
        if isinstance(entry, str):
            raise CalendarError(str(source), entry)
        return tuple(iv for iv in entry if iv.overlaps(window))

    def busy(
        self,
        source: CalendarSource,
        *,
        window: Interval,
        zone: ZoneInfo,
        tentative_is_busy: bool,
        exclude_escalation: str | None,
    ) -> tuple[Interval, ...]:
        """Busy intervals stored for ``source`` that overlap ``window``."""
        return self._read(source, window)

    def blackouts(self, source: CalendarSource, *, window: Interval, zone: ZoneInfo) -> tuple[Interval, ...]:
        """Blackouts stored for ``source`` that overlap ``window``."""
        return self._read(source, window)
