"""The only place that picks adapters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from readout.adapters.ics_files import IcsFileReader
from readout.services.ports import CalendarReader

__all__ = ["calendar_reader", "clock"]


def calendar_reader() -> CalendarReader:
    """The calendar port for this process: local iCalendar files."""
    return IcsFileReader()


def clock() -> Callable[[], datetime]:
    """The wall clock, in UTC."""
    return lambda: datetime.now(UTC)
