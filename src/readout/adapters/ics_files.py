"""The calendar port over local ``.ics`` files."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from readout.adapters.ics import read_blackouts, read_busy
from readout.domain.intervals import Interval

__all__ = ["IcsFileReader"]


class IcsFileReader:
    """Reads free/busy and blackouts from iCalendar files on disk."""

    def busy(
        self,
        source: Path,
        *,
        window: Interval,
        zone: ZoneInfo,
        tentative_is_busy: bool,
        exclude_escalation: str | None,
    ) -> tuple[Interval, ...]:
        """Busy intervals of the file's owner overlapping ``window``."""
        return read_busy(
            source,
            window=window,
            zone=zone,
            tentative_is_busy=tentative_is_busy,
            exclude_escalation=exclude_escalation,
        )

    def blackouts(self, source: Path, *, window: Interval, zone: ZoneInfo) -> tuple[Interval, ...]:
        """Every non-cancelled event of the file, as blackout blocks."""
        return read_blackouts(source, window=window, zone=zone)
