"""Route each calendar source to the adapter that speaks its protocol (data, not ``if`` chains)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from readout.domain.sources import CALDAV_SCHEMES, FEED_SCHEMES, RemoteSource
from readout.errors import SourceUnavailable

if TYPE_CHECKING:  # annotations only: planning a case file routes reads but never loads the hold types
    from zoneinfo import ZoneInfo

    from readout.domain.holds import Hold
    from readout.domain.intervals import Interval
    from readout.domain.invite import InvitePacket
    from readout.domain.sources import CalendarSource
    from readout.services.ports import CalendarReader, HoldCalendar

__all__ = [
    "CALDAV_SCHEMES",
    "RoutingCalendarReader",
    "RoutingHoldCalendar",
    "is_caldav",
]

_T = TypeVar("_T")


def is_caldav(calendar: str) -> bool:
    """Whether a hold's calendar names a CalDAV collection (else holds live in the ledger only)."""
    return "://" in calendar and RemoteSource(calendar).is_caldav


class _Lazy(Generic[_T]):
    """Builds an adapter on first use: each one's libraries (the iCalendar parser, HTTP clients) cost
    start-up time that a command which never reaches it should not pay."""

    def __init__(self, build: Callable[[], _T]) -> None:
        self._build = build
        self._built: _T | None = None
        self._lock = threading.Lock()

    def get(self) -> _T:
        with self._lock:
            if self._built is None:
                self._built = self._build()
            return self._built


class RoutingCalendarReader:
    """Local files, ``.ics`` feeds over HTTP(S) and CalDAV collections behind one CalendarReader."""

    def __init__(
        self,
        local: Callable[[], CalendarReader],
        feeds: Callable[[], CalendarReader],
        caldav: Callable[[], CalendarReader],
    ) -> None:
        """Each argument builds its reader, called the first time a source of its kind is read."""
        feed_reader, caldav_reader = _Lazy(feeds), _Lazy(caldav)
        self._by_scheme = {
            **dict.fromkeys(FEED_SCHEMES, feed_reader),
            **dict.fromkeys(CALDAV_SCHEMES, caldav_reader),
        }
        self._local = _Lazy(local)

    def _reader(self, source: CalendarSource) -> CalendarReader:
        if isinstance(source, Path):
            return self._local.get()
        reader = self._by_scheme.get(source.scheme)
        if reader is None:
            raise SourceUnavailable(source.shown, "unsupported calendar source")
        return reader.get()

    def busy(
        self,
        source: CalendarSource,
        *,
        window: Interval,
        zone: ZoneInfo,
        tentative_is_busy: bool,
        exclude_escalation: str | None,
    ) -> tuple[Interval, ...]:
        """Busy intervals from whichever adapter serves ``source``."""
        return self._reader(source).busy(
            source,
            window=window,
            zone=zone,
            tentative_is_busy=tentative_is_busy,
            exclude_escalation=exclude_escalation,
        )

    def blackouts(self, source: CalendarSource, *, window: Interval, zone: ZoneInfo) -> tuple[Interval, ...]:
        """Blackouts from whichever adapter serves ``source``."""
        return self._reader(source).blackouts(source, window=window, zone=zone)

    def fingerprint(self, source: CalendarSource) -> str | None:
        """The source's fingerprint from whichever adapter serves it."""
        return self._reader(source).fingerprint(source)


class RoutingHoldCalendar:
    """Holds on CalDAV collections go to the server; any other calendar keeps them in the ledger only."""

    def __init__(self, caldav: Callable[[], HoldCalendar], ledger: HoldCalendar) -> None:
        """``caldav`` builds the CalDAV side when the first hold on a CalDAV collection is touched."""
        self._caldav = _Lazy(caldav)
        self._ledger = ledger

    def _for(self, hold: Hold) -> HoldCalendar:
        return self._caldav.get() if is_caldav(hold.calendar) else self._ledger

    def place(self, hold: Hold, zone: ZoneInfo | None = None) -> str | None:
        """Place the hold where its calendar lives."""
        return self._for(hold).place(hold, zone)

    def release(self, hold: Hold) -> None:
        """Release the hold where its calendar lives."""
        self._for(hold).release(hold)

    def confirm(self, hold: Hold, packet: InvitePacket) -> str | None:
        """Turn the hold into the readout where its calendar lives."""
        return self._for(hold).confirm(hold, packet)

    def marked(self, calendar: str, span: Interval) -> list[Hold]:
        """Readout's holds on a CalDAV ``calendar`` (a ledger-only calendar has nothing to find)."""
        return self._caldav.get().marked(calendar, span) if is_caldav(calendar) else []
