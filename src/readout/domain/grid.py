"""Candidate starts: the grid of instants a readout may begin at (spec section 3)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from readout.domain.intervals import from_micros, to_micros
from readout.domain.localtime import DAY_US, MINUTE_US, offsets

__all__ = ["candidate_start_micros", "candidate_starts"]


def candidate_starts(
    earliest: datetime, deadline: datetime, duration: timedelta, zone: ZoneInfo, granularity: int
) -> list[datetime]:
    """Every instant ``s`` with ``earliest <= s`` and ``s + duration <= deadline`` whose local wall time in
    ``zone`` is a whole multiple of ``granularity`` minutes after local midnight.

    Both occurrences of a repeated wall time (fall back) are instants with that local time, so both count;
    wall times inside a spring-forward gap name no instant and are skipped.
    """
    micros = candidate_start_micros(earliest, deadline, duration, zone, granularity)
    return [from_micros(int(m)) for m in micros]


def candidate_start_micros(
    earliest: datetime, deadline: datetime, duration: timedelta, zone: ZoneInfo, granularity: int
) -> NDArray[np.int64]:
    """``candidate_starts`` as sorted microseconds since the epoch (no datetime per start).

    The span is cut where the zone's UTC offset changes; within a piece wall time is the instant plus one
    offset, so the grid is an arithmetic progression of wall times, shifted back by that offset. A repeated
    hour lies in two pieces (both instants count), a skipped hour in none.
    """
    first, last = to_micros(earliest), to_micros(deadline - duration)
    if last < first:
        return np.zeros(0, dtype=np.int64)
    step = granularity * MINUTE_US
    if DAY_US % step:
        raise ValueError(f"granularity {granularity} does not divide a day (allowed: 5, 10, 15, 30, 60)")
    runs: list[NDArray[np.int64]] = []
    for lo, hi, offset in offsets(zone, first, last).pieces(first, last):
        # Wall time is instant + offset within a piece; the grid restarts at each local midnight on the same
        # progression, since the step divides a day.
        begin = -(-(lo + offset) // step) * step
        runs.append(np.arange(begin, hi + offset + 1, step, dtype=np.int64) - offset)
    return np.concatenate(runs)
