"""A bounded, thread-safe memory of calendars already read: a long-running process (``readout serve``) does
not parse and expand a calendar again when its bytes have not changed.

The key is the SHA-256 digest of the calendar's bytes plus everything else that changes the result: the
owner's zone, which occurrences count (tentative as busy, the escalation whose holds are excluded, busy time
or blackouts) and the span expanded. The span is the planning window rounded out to whole UTC days
(``covering``): the window's start follows the clock (the earliest start moves with "now"), so a key on the
exact window would miss on every re-plan; the day-rounded span stays the same all day and the answer is
clipped to the window asked for. A file that changed has another digest, so it is read again; a calendar the
reader refuses is never stored (it is refused again on each read, with its own message).

What is kept is only the merged busy intervals (never event content), least recently used first out when
either bound is passed: ``max_entries`` entries or ``max_intervals`` intervals in all (an entry larger than
that is not kept). At the defaults (512 entries, 200,000 intervals) that is at most about 30 MB.
"""

from __future__ import annotations

import hashlib
import threading
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import UTC, datetime, time, timedelta

from readout.domain.intervals import Interval

__all__ = ["BusyCache", "covering", "shared_cache"]

DEFAULT_MAX_ENTRIES = 512
DEFAULT_MAX_INTERVALS = 200_000
_DAY = timedelta(days=1)


def covering(window: Interval) -> Interval:
    """``window`` rounded out to whole UTC days: the span expanded and kept for it."""
    start = datetime.combine(window.start.astimezone(UTC).date(), time(), UTC)
    end_utc = window.end.astimezone(UTC)
    end = datetime.combine(end_utc.date(), time(), UTC)
    if end < end_utc:
        end += _DAY
    return Interval(start, end)


def digest(data: bytes) -> bytes:
    """The content digest a cached calendar is known by."""
    return hashlib.sha256(data).digest()


def clip(merged: tuple[Interval, ...], window: Interval) -> tuple[Interval, ...]:
    """``intersect(merged, [window])`` for merged, sorted intervals, in O(log n) comparisons plus one slice:
    only the two end intervals are rebuilt."""
    low = bisect_right(merged, window.start, key=_end)
    high = bisect_left(merged, window.end, key=_start)
    part = list(merged[low:high])
    if part:
        if part[0].start < window.start:
            part[0] = Interval(window.start, part[0].end)
        if part[-1].end > window.end:
            part[-1] = Interval(part[-1].start, window.end)
        if part[0].empty or part[-1].empty:  # an empty window inside one interval
            part = [iv for iv in part if not iv.empty]
    return tuple(part)


def _start(interval: Interval) -> datetime:
    return interval.start


def _end(interval: Interval) -> datetime:
    return interval.end


class BusyCache:
    """Merged intervals by (content digest, parameters, covering span), LRU by entries and by intervals."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES, max_intervals: int = DEFAULT_MAX_INTERVALS):
        self.max_entries = max_entries
        self.max_intervals = max_intervals
        self._entries: OrderedDict[Hashable, tuple[Interval, ...]] = OrderedDict()
        self._intervals = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        """False when nothing can be kept (``max_entries`` 0): reads then parse the window alone, as without a
        cache (``benchmarks.service`` measures "before" this way)."""
        return self.max_entries > 0 and self.max_intervals > 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def intervals(self) -> int:
        """Intervals held in all entries."""
        return self._intervals

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._intervals = 0
            self.hits = self.misses = 0

    def clipped(
        self,
        data: bytes,
        parameters: Hashable,
        window: Interval,
        compute: Callable[[Interval], tuple[Interval, ...]],
    ) -> tuple[Interval, ...]:
        """The intervals ``compute`` gives for ``window``, from memory when the same bytes were read with the
        same ``parameters`` for the same day-rounded span. ``compute(span)`` must return the merged intervals
        clipped to ``span``; it runs outside the lock (two threads may compute the same entry at once: both
        get the same answer, one is kept)."""
        span = covering(window)
        key = (digest(data), parameters, span.start, span.end)
        found = self._get(key)
        if found is None:
            found = compute(span)
            self._store(key, found)
        return found if span == window else clip(found, window)

    def known(self, content: bytes, parameters: Hashable, window: Interval) -> tuple[Interval, ...] | None:
        """What ``clipped`` would answer for bytes of SHA-256 digest ``content``, when it is held (a file
        whose status says it has not changed since it was read is not read again:
        adapters/ics/file_digests.py); None when it is not (nothing is computed)."""
        span = covering(window)
        found = self._get((content, parameters, span.start, span.end), count_miss=False)
        if found is None:
            return None
        return found if span == window else clip(found, window)

    def _get(self, key: Hashable, count_miss: bool = True) -> tuple[Interval, ...] | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                self.hits += 1
            elif count_miss:  # a miss of ``known`` is followed by the read and ``clipped``, which counts it
                self.misses += 1
        return found

    def _store(self, key: Hashable, value: tuple[Interval, ...]) -> None:
        if len(value) > self.max_intervals or self.max_entries <= 0:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._intervals -= len(old)
            self._entries[key] = value
            self._intervals += len(value)
            while len(self._entries) > self.max_entries or self._intervals > self.max_intervals:
                _, dropped = self._entries.popitem(last=False)
                self._intervals -= len(dropped)


_SHARED = BusyCache()


def shared_cache() -> BusyCache:
    """The process-wide cache every iCalendar read goes through (local files, feeds, CalDAV)."""
    return _SHARED
