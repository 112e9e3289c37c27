"""Ports: the small interfaces services use to reach outside systems."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from readout.domain.intervals import Interval

__all__ = ["CalendarReader"]


class CalendarReader(Protocol):
    """Reads free/busy from a calendar source. Only intervals come back, never event details."""

    def busy(
        self,
        source: Path,
        *,
        window: Interval,
        zone: ZoneInfo,
        tentative_is_busy: bool,
        exclude_escalation: str | None,
    ) -> tuple[Interval, ...]:
        """Busy intervals of the source's owner overlapping ``window``."""
        ...

    def blackouts(self, source: Path, *, window: Interval, zone: ZoneInfo) -> tuple[Interval, ...]:
        """Blackout blocks (every non-cancelled event) overlapping ``window``."""
        ...
