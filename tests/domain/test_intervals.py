"""Interval algebra: half-open, merged, UTC."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from numpy.typing import NDArray

from readout.domain.intervals import Interval, intersect, merge, to_micros
from readout.domain.timeline import Timeline

T0 = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)


def iv(a: int, b: int) -> Interval:
    """Interval from minute offsets after T0."""
    return Interval(T0 + timedelta(minutes=a), T0 + timedelta(minutes=b))


def test_merge_joins_overlapping_and_touching_and_drops_empty() -> None:
    assert merge([iv(30, 60), iv(0, 30), iv(50, 70), iv(100, 100), iv(90, 95)]) == [iv(0, 70), iv(90, 95)]


def test_interval_rejects_end_before_start_and_naive_times() -> None:
    with pytest.raises(ValueError, match="ends before"):
        iv(10, 5)
    with pytest.raises(ValueError, match="aware"):
        Interval(datetime(2026, 1, 1), datetime(2026, 1, 2))


def slots(*spans: Interval) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Slot bounds as the array queries take them."""
    starts = np.array([to_micros(span.start) for span in spans], dtype=np.int64)
    return starts, np.array([to_micros(span.end) for span in spans], dtype=np.int64)


def test_half_open_slot_ending_when_busy_starts_is_free() -> None:
    busy = Timeline([iv(60, 120)])
    assert busy.overlaps_all(*slots(iv(0, 60), iv(120, 180), iv(119, 180), iv(0, 61))).tolist() == [
        False,
        False,
        True,
        True,
    ]


def test_zero_length_blocks_block_nothing() -> None:
    assert Timeline([iv(30, 30)]).overlaps_all(*slots(iv(0, 60))).tolist() == [False]
    assert not iv(0, 60).overlaps(iv(30, 30))


def test_covers_needs_one_maximal_interval_adjacent_windows_join() -> None:
    windows = Timeline([iv(0, 60), iv(60, 120), iv(130, 200)])
    across_joint, across_gap, whole, before = iv(30, 90), iv(100, 140), iv(130, 200), iv(-10, 20)
    assert windows.covers_all(*slots(across_joint, across_gap, whole, before)).tolist() == [
        True,
        False,
        True,
        False,
    ]
    assert Timeline([]).covers_all(*slots(iv(0, 10))).tolist() == [False]


def test_intersect() -> None:
    assert intersect([iv(0, 100), iv(200, 300)], [iv(50, 250)]) == [iv(50, 100), iv(200, 250)]


def test_distance_to_nearest_block_in_microseconds() -> None:
    blocks = Timeline([iv(0, 10), iv(100, 110)])
    minute = 60_000_000
    assert blocks.distance_all(*slots(iv(40, 70), iv(10, 20), iv(85, 95))).tolist() == [
        30 * minute,
        0,
        5 * minute,
    ]
    assert Timeline([]).distance_all(*slots(iv(0, 10))).tolist() == [-1]  # no block at all
    assert Timeline([iv(0, 100)]).distance_all(*slots(iv(10, 20))).tolist() == [-1]  # only one it overlaps


def test_merging_arrays_joins_touching_and_overlapping_and_drops_empty() -> None:
    merged = Timeline.of_arrays(np.array([30, 0, 50, 100, 90]), np.array([60, 30, 70, 100, 95]))
    assert (merged.starts.tolist(), merged.ends.tolist()) == ([0, 90], [70, 95])
