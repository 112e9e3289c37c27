"""The simulated calendars behind the ``CalendarReader`` port: free/busy intervals only, read on the virtual
clock. A calendar whose service is down (an outage in progress at the virtual instant of the read) raises
``SourceUnavailable``, so its owner is *unknown* to the plan, never free (spec section 4)."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from readout.domain.intervals import Interval
from readout.domain.sources import CalendarSource, RemoteSource
from readout.errors import SourceUnavailable
from readout.simulation.org import CalendarBook

__all__ = ["SOURCE_PREFIX", "SimulatedCalendars", "source_url"]

SOURCE_PREFIX = "https://calendars.simulation.example/"


def source_url(key: str) -> str:
    """The URL a case document names for calendar ``key`` (an .ics feed as far as the case file goes)."""
    return f"{SOURCE_PREFIX}{key}.ics"


class SimulatedCalendars:
    """Reads the organisation's calendars as of ``clock()``; ``book`` and ``outage`` change them mid-run."""

    def __init__(self, books: dict[str, CalendarBook], clock: Callable[[], datetime]) -> None:
        self._books = books
        self._clock = clock
        self._starts = {key: [i.start for i in book.busy] for key, book in books.items()}
        self._tentative_starts = {key: [i.start for i in book.tentative] for key, book in books.items()}
        self._outages: dict[str, list[Interval]] = {}
        self._changes: dict[str, int] = {}
        self.reads = 0
        self.failed_reads = 0

    # --- what the run does to calendars ------------------------------------------------------------------

    def book(self, key: str, span: Interval, escalation_id: str | None = None) -> None:
        """Someone books ``span`` on calendar ``key`` (``escalation_id``: the confirmed readout itself)."""
        self._books[key].added.append((span, escalation_id))
        self._changes[key] = self._changes.get(key, 0) + 1

    def outage(self, key: str, span: Interval) -> None:
        """The service behind calendar ``key`` does not answer during ``span``."""
        self._outages.setdefault(key, []).append(span)

    def down(self, key: str, at: datetime) -> bool:
        return any(o.start <= at < o.end for o in self._outages.get(key, ()))

    # --- the port ----------------------------------------------------------------------------------------

    def _key(self, source: CalendarSource) -> str:
        if not isinstance(source, RemoteSource) or not source.url.startswith(SOURCE_PREFIX):
            raise SourceUnavailable(str(source), "not a calendar of the simulated organisation")
        key = source.url[len(SOURCE_PREFIX) : -len(".ics")]
        if key not in self._books:
            raise SourceUnavailable(source.shown, "no such calendar in the simulated organisation")
        self.reads += 1
        if self.down(key, self._clock()):
            self.failed_reads += 1
            raise SourceUnavailable(source.shown, "calendar service unavailable (simulated outage)")
        return key

    def busy(
        self,
        source: CalendarSource,
        *,
        window: Interval,
        zone: ZoneInfo,
        tentative_is_busy: bool,
        exclude_escalation: str | None,
    ) -> tuple[Interval, ...]:
        key = self._key(source)
        book = self._books[key]
        found = _overlapping(book.busy, self._starts[key], window, book)
        if tentative_is_busy:
            found += _overlapping(book.tentative, self._tentative_starts[key], window, book)
        found += [
            span
            for span, owner in book.added
            if (owner is None or owner != exclude_escalation)
            and span.start < window.end
            and window.start < span.end
        ]
        return tuple(found)

    def blackouts(self, source: CalendarSource, *, window: Interval, zone: ZoneInfo) -> tuple[Interval, ...]:
        key = self._key(source)
        book = self._books[key]
        return tuple(_overlapping(book.busy, self._starts[key], window, book))

    def fingerprint(self, source: CalendarSource) -> str | None:
        key = self._key(source)
        return f"{key}#{self._changes.get(key, 0)}"


def _overlapping(
    spans: list[Interval], starts: list[datetime], window: Interval, book: CalendarBook
) -> list[Interval]:
    """The sorted ``spans`` overlapping ``window`` (none is longer than ``book.longest``)."""
    first = bisect_left(starts, window.start - book.longest)
    last = bisect_left(starts, window.end, lo=first)
    return [s for s in spans[first:last] if s.end > window.start and s.end > s.start]
