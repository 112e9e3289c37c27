"""Timelines: merged interval sets as int64 microsecond arrays, queried for many slots at once.

Kept apart from ``intervals`` so that what only stores and shows intervals (the workflow, its commands)
does not load numpy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import NDArray

from readout.domain.intervals import Interval, to_micros

__all__ = ["Timeline", "merged_arrays"]


def merged_arrays(
    starts: NDArray[np.int64], ends: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Sorted starts and ends with touching and overlapping intervals joined and empty ones dropped."""
    keep = starts < ends
    starts, ends = starts[keep], ends[keep]
    if len(starts) > 1 and not np.all(starts[1:] > ends[:-1]):  # else already sorted and apart
        order = np.argsort(starts, kind="stable")
        starts, ends = starts[order], ends[order]
        reach = np.maximum.accumulate(ends)
        first = np.ones(len(starts), dtype=bool)
        first[1:] = starts[1:] > reach[:-1]  # a new interval begins past everything before it
        last = np.append(np.flatnonzero(first)[1:] - 1, len(starts) - 1)
        starts, ends = starts[first], reach[last]
    return starts, ends


_HIGH = np.array([np.iinfo(np.int64).max], dtype=np.int64)
_LOW = np.array([np.iinfo(np.int64).min], dtype=np.int64)


class Timeline:
    """A merged, sorted set of intervals (``starts``/``ends`` in microseconds) answering overlap, containment
    and distance queries for many slots at once, each in O(log n)."""

    __slots__ = ("_ends_after_low", "_starts_then_high", "ends", "starts")

    def __init__(self, intervals: Iterable[Interval] = ()) -> None:
        items = intervals if isinstance(intervals, Sequence) else list(intervals)
        count = len(items)
        starts = np.fromiter((to_micros(iv.start) for iv in items), dtype=np.int64, count=count)
        ends = np.fromiter((to_micros(iv.end) for iv in items), dtype=np.int64, count=count)
        self._set(*merged_arrays(starts, ends))

    @classmethod
    def of_arrays(cls, starts: NDArray[np.int64], ends: NDArray[np.int64]) -> Timeline:
        """A timeline from arrays of interval starts and ends (microseconds; any order, may overlap)."""
        timeline = cls.__new__(cls)
        timeline._set(*merged_arrays(starts, ends))
        return timeline

    def _set(self, starts: NDArray[np.int64], ends: NDArray[np.int64]) -> None:
        self.starts, self.ends = starts, ends
        # Sentinels, so that an index one past either end needs no bounds check in the array queries.
        self._starts_then_high = np.concatenate((starts, _HIGH))
        self._ends_after_low = np.concatenate((_LOW, ends))

    def __len__(self) -> int:
        return len(self.starts)

    def overlaps_all(self, starts: NDArray[np.int64], ends: NDArray[np.int64]) -> NDArray[np.bool_]:
        """For each non-empty slot ``[starts[k], ends[k])``: does it overlap any interval?"""
        # The first interval ending after the slot starts must start before the slot ends.
        return self._starts_then_high[np.searchsorted(self.ends, starts, side="right")] < ends

    def covers_all(self, starts: NDArray[np.int64], ends: NDArray[np.int64]) -> NDArray[np.bool_]:
        """For each slot: does it lie inside one interval?"""
        # The last interval starting at or before the slot must end at or after it.
        return self._ends_after_low[np.searchsorted(self.starts, starts, side="right")] >= ends

    def distance_all(self, starts: NDArray[np.int64], ends: NDArray[np.int64]) -> NDArray[np.int64]:
        """Per slot, microseconds to the nearest interval not overlapping it (before or after), -1 if none."""
        n = len(self.starts)
        best = np.full(len(starts), -1, dtype=np.int64)
        if not n:
            return best
        i = np.searchsorted(self.ends, starts, side="right")  # intervals before i end by the slot's start
        before = i > 0
        best[before] = starts[before] - self.ends[i[before] - 1]
        j = np.maximum(i, np.searchsorted(self.starts, ends, side="left"))  # first one starting at or after
        after = j < n
        gap = self.starts[np.minimum(j, n - 1)] - ends
        return np.where(after & ((best < 0) | (gap < best)), gap, best)
