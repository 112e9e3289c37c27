"""The calendar port over local ``.ics`` files."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from readout.adapters.ics.reader import read_blackouts, read_busy
from readout.domain.intervals import Interval
from readout.domain.sources import CalendarSource, RemoteSource
from readout.errors import SourceUnavailable

__all__ = ["IcsFileReader"]


def _local(source: CalendarSource) -> Path:
    if isinstance(source, RemoteSource):
        raise SourceUnavailable(source.shown, "remote calendar sources are not read yet; treated as unknown")
    return source


class IcsFileReader:
    """Reads free/busy and blackouts from iCalendar files on disk (remote sources are unavailable)."""

    def busy(
        self,
        source: CalendarSource,
        *,
        window: Interval,
        zone: ZoneInfo,
        tentative_is_busy: bool,
        exclude_escalation: str | None,
    ) -> tuple[Interval, ...]:
        """Busy intervals of the file's owner overlapping ``window``."""
        return read_busy(
            _local(source),
            window=window,
            zone=zone,
            tentative_is_busy=tentative_is_busy,
            exclude_escalation=exclude_escalation,
        )

    def blackouts(self, source: CalendarSource, *, window: Interval, zone: ZoneInfo) -> tuple[Interval, ...]:
        """Every non-cancelled event of the file, as blackout blocks."""
        return read_blackouts(_local(source), window=window, zone=zone)
