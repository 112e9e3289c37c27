"""The calendar port over CalDAV collections (``caldav://``, ``caldavs://``): busy time and blackouts.

One calendar-query REPORT per read, limited by the server to events with an occurrence near the window
(RFC 4791 section 7.8), after a PROPFIND that checks the URL names a calendar collection at all. Events come
back unexpanded and go through the same iCalendar reader as local files, which expands recurrences in the
owner's zone and keeps nothing but intervals. Server-side ``expand`` and the free-busy-query REPORT are not
used: both resolve floating and all-day times in the server's zone rather than the owner's, and a free-busy
reply cannot tell our own holds (``X-READOUT-ESCALATION``) or transparent blackouts from other events.

Any failure, including data the reader cannot interpret, is a ``SourceUnavailable``: unknown, never free.

In a long-running process the events returned go through the iCalendar reader's in-memory cache
(adapters/ics/cache.py), keyed by the digest of the text: when the collection did not change, the REPORT is
still made but nothing is parsed again. The collection's ctag or sync-token (RFC 6578) is not used, so the
PROPFIND and REPORT round trips are paid on every read.

``fingerprint`` (the calendar watch, services/watch.py) is the exception: one PROPFIND for the collection's
ctag (calendarserver.org's getctag), else its sync-token, which changes whenever any event in it does.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from zoneinfo import ZoneInfo

from readout.adapters.caldav.collection import CalDavConnector
from readout.adapters.ics.reader import parse_blackouts, parse_busy
from readout.config import CredentialStore, OutboundPolicy
from readout.domain.intervals import Interval
from readout.domain.sources import CalendarSource, RemoteSource
from readout.errors import CalendarError, SourceUnavailable

__all__ = ["CalDavReader"]

_Parse = Callable[..., tuple[Interval, ...]]


class CalDavReader:
    """Reads free/busy and blackouts from CalDAV calendar collections. Safe to share between threads.
    ``policy``: what the operator allows beyond public HTTPS addresses (default: nothing)."""

    def __init__(
        self,
        credentials: CredentialStore,
        timeout: float,
        max_bytes: int = 5_000_000,
        *,
        policy: OutboundPolicy | None = None,
    ) -> None:
        self._connector = CalDavConnector(credentials, timeout, max_bytes, policy)

    def busy(
        self,
        source: CalendarSource,
        *,
        window: Interval,
        zone: ZoneInfo,
        tentative_is_busy: bool,
        exclude_escalation: str | None,
    ) -> tuple[Interval, ...]:
        """Busy intervals of the collection's owner overlapping ``window``; SourceUnavailable on failure."""
        parse = partial(
            parse_busy,
            window=window,
            zone=zone,
            tentative_is_busy=tentative_is_busy,
            exclude_escalation=exclude_escalation,
        )
        return self._read(source, window, parse)

    def blackouts(self, source: CalendarSource, *, window: Interval, zone: ZoneInfo) -> tuple[Interval, ...]:
        """Every non-cancelled event of the collection as blackout blocks; SourceUnavailable on failure."""
        return self._read(source, window, partial(parse_blackouts, window=window, zone=zone))

    def fingerprint(self, source: CalendarSource) -> str | None:
        """The collection's ``ctag:<getctag>`` (calendarserver.org), else ``sync-token:<DAV:sync-token>``
        (RFC 6578), from one PROPFIND; None when the server offers neither. SourceUnavailable on failure or
        when the URL does not name a calendar collection."""
        if not isinstance(source, RemoteSource):
            raise SourceUnavailable(str(source), "a local file, not a CalDAV collection")
        return self._connector.open(source).tag()

    def _read(self, source: CalendarSource, window: Interval, parse: _Parse) -> tuple[Interval, ...]:
        if not isinstance(source, RemoteSource):
            raise SourceUnavailable(str(source), "a local file, not a CalDAV collection")
        collection = self._connector.open(source)
        texts = collection.calendar_data(window)
        if not texts:
            return ()
        try:
            return parse("\r\n".join(texts).encode("utf-8"), source=collection.shown)
        except CalendarError as error:  # its detail never quotes the content
            raise SourceUnavailable(collection.shown, f"an event cannot be read: {error.detail}") from None
