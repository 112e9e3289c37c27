"""Candidate starts on the granularity grid of the coverage zone (spec section 3)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from readout.domain.grid import candidate_starts


def u(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local_times(starts: list[datetime], zone: ZoneInfo) -> list[str]:
    return [s.astimezone(zone).strftime("%H:%M%z") for s in starts]


def test_fall_back_repeats_grid_times_both_occurrences_are_starts() -> None:
    chicago = ZoneInfo("America/Chicago")
    starts = candidate_starts(u(2026, 11, 1, 5), u(2026, 11, 1, 9), timedelta(minutes=30), chicago, 30)
    assert local_times(starts, chicago) == [
        "00:00-0500", "00:30-0500", "01:00-0500", "01:30-0500",
        "01:00-0600", "01:30-0600", "02:00-0600", "02:30-0600",
    ]  # fmt: skip


def test_spring_forward_gap_has_no_starts() -> None:
    chicago = ZoneInfo("America/Chicago")
    starts = candidate_starts(u(2026, 3, 8, 7), u(2026, 3, 8, 10), timedelta(minutes=30), chicago, 30)
    assert local_times(starts, chicago) == [
        "01:00-0600",
        "01:30-0600",
        "03:00-0500",
        "03:30-0500",
        "04:00-0500",
        "04:30-0500",
    ]


def test_grid_is_anchored_to_local_midnight_of_the_coverage_zone() -> None:
    # Kathmandu is +05:45: hourly local starts fall at :15 past the UTC hour.
    starts = candidate_starts(
        u(2026, 11, 3, 0), u(2026, 11, 3, 4), timedelta(hours=1), ZoneInfo("Asia/Kathmandu"), 60
    )
    assert starts == [u(2026, 11, 3, 0, 15), u(2026, 11, 3, 1, 15), u(2026, 11, 3, 2, 15)]


def test_bounds_earliest_inclusive_and_slot_must_end_by_deadline() -> None:
    starts = candidate_starts(
        u(2026, 11, 3, 9, 7), u(2026, 11, 3, 11), timedelta(hours=1), ZoneInfo("UTC"), 15
    )
    assert starts[0] == u(2026, 11, 3, 9, 15)
    assert starts[-1] == u(2026, 11, 3, 10)
    assert (
        candidate_starts(u(2026, 11, 3, 10), u(2026, 11, 3, 11), timedelta(hours=2), ZoneInfo("UTC"), 15)
        == []
    )
