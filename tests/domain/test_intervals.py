"""Interval algebra: half-open, merged, UTC."""

from datetime import UTC, datetime, timedelta

import pytest

from readout.domain.intervals import Interval, contains, intersect, merge, subtract
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


def test_half_open_slot_ending_when_busy_starts_is_free() -> None:
    busy = Timeline([iv(60, 120)])
    assert not busy.overlaps(iv(0, 60))
    assert not busy.overlaps(iv(120, 180))
    assert busy.overlaps(iv(119, 180))
    assert busy.overlaps(iv(0, 61))


def test_zero_length_blocks_block_nothing() -> None:
    assert not Timeline([iv(30, 30)]).overlaps(iv(0, 60))
    assert not iv(0, 60).overlaps(iv(30, 30))


def test_covers_needs_one_maximal_interval_adjacent_windows_join() -> None:
    windows = Timeline([iv(0, 60), iv(60, 120), iv(130, 200)])
    assert windows.covers(iv(30, 90))  # across the joint of two adjacent windows
    assert not windows.covers(iv(100, 140))  # across a gap
    assert windows.covers(iv(130, 200))
    assert not windows.covers(iv(-10, 20))
    assert contains(merge([iv(0, 60), iv(60, 120)]), iv(0, 120))


def test_intersect_and_subtract() -> None:
    a = [iv(0, 100), iv(200, 300)]
    b = [iv(50, 250)]
    assert intersect(a, b) == [iv(50, 100), iv(200, 250)]
    assert subtract(a, b) == [iv(0, 50), iv(250, 300)]
    assert subtract(a, []) == a
    assert subtract([iv(0, 100)], [iv(10, 20), iv(30, 40)]) == [iv(0, 10), iv(20, 30), iv(40, 100)]


def test_distance_to_nearest_block() -> None:
    blocks = Timeline([iv(0, 10), iv(100, 110)])
    assert blocks.distance(iv(40, 70)) == timedelta(minutes=30)
    assert blocks.distance(iv(10, 20)) == timedelta(0)
    assert Timeline([]).distance(iv(0, 10)) is None
