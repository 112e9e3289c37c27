"""Half-open UTC intervals and the small algebra the planner is built from.

Every instant in the core is an aware ``datetime`` in UTC. Intervals are ``[start, end)``: a slot that ends
exactly when a busy block starts does not overlap it, and a zero-length interval blocks nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = [
    "Interval",
    "from_micros",
    "intersect",
    "merge",
    "to_micros",
    "utc_text",
]


@dataclass(frozen=True, order=True, slots=True)
class Interval:
    """A half-open span of time ``[start, end)`` between two aware UTC instants."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("Interval needs aware datetimes")
        if self.end < self.start:
            raise ValueError(f"Interval ends before it starts: {self.start} > {self.end}")

    @property
    def duration(self) -> timedelta:
        """Length of the interval."""
        return self.end - self.start

    @property
    def empty(self) -> bool:
        """True for a zero-length interval, which overlaps nothing."""
        return self.end == self.start

    def overlaps(self, other: Interval) -> bool:
        """True when the two intervals share at least one instant."""
        return self.start < other.end and other.start < self.end and not self.empty and not other.empty

    def contains(self, other: Interval) -> bool:
        """True when ``other`` lies entirely inside this interval."""
        return self.start <= other.start and other.end <= self.end


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sort and join overlapping or touching intervals; zero-length intervals are dropped."""
    out: list[Interval] = []
    for iv in sorted((i for i in intervals if not i.empty), key=lambda i: (i.start, i.end)):
        if out and iv.start <= out[-1].end:
            if iv.end > out[-1].end:
                out[-1] = Interval(out[-1].start, iv.end)
        else:
            out.append(iv)
    return out


def intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    """Intersection of two merged, sorted interval lists."""
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start = max(a[i].start, b[j].start)
        end = min(a[i].end, b[j].end)
        if start < end:
            out.append(Interval(start, end))
        if a[i].end < b[j].end:
            i += 1
        else:
            j += 1
    return out


# Timelines (``domain/timeline.py``) work in whole microseconds since the epoch: exact for every aware
# datetime, and fast to compare.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


def to_micros(moment: datetime) -> int:
    """Microseconds since the Unix epoch (exact)."""
    return (moment - _EPOCH) // _US


def from_micros(micros: int) -> datetime:
    """The UTC instant ``micros`` microseconds after the epoch."""
    return _EPOCH + timedelta(microseconds=micros)


def utc_text(moment: datetime | None) -> str | None:
    """``YYYY-MM-DDTHH:MM:SSZ`` (the form of plans and audit entries), or None."""
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
