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
    runs: list[NDArray[np.int64]] = []
    for lo, hi, offset in offsets(zone, first, last).pieces(first, last):
        wall_lo, wall_hi = lo + offset, hi + offset
        if DAY_US % step == 0:  # the grid restarts at each local midnight on the same progression
            begin = -(-wall_lo // step) * step
            runs.append(np.arange(begin, wall_hi + 1, step, dtype=np.int64) - offset)
        else:
            runs.append(_restarting(wall_lo, wall_hi, step) - offset)
    return np.concatenate(runs)


def _restarting(wall_lo: int, wall_hi: int, step: int) -> NDArray[np.int64]:
    """Wall times in ``[wall_lo, wall_hi]`` that are whole steps after their own local midnight."""
    days = np.arange(wall_lo // DAY_US, wall_hi // DAY_US + 1, dtype=np.int64) * DAY_US
    walls = (days[:, None] + np.arange(0, DAY_US, step, dtype=np.int64)[None, :]).ravel()
    return walls[(walls >= wall_lo) & (walls <= wall_hi)]
