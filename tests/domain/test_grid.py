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


def test_lord_howe_spring_forward_half_hour_shift_keeps_the_wall_clock_grid() -> None:
    # Australia/Lord_Howe, 2026-10-04: 02:00 (+10:30) jumps to 02:30 (+11:00), a 30-minute shift with a
    # 60-minute grid. Starts are read on the wall clock: 01:00, then 03:00 (02:00 does not exist, so no start),
    # never 03:30 (which "multiples of 60 elapsed minutes since midnight" would give: 180 real minutes).
    lord_howe = ZoneInfo("Australia/Lord_Howe")
    starts = candidate_starts(u(2026, 10, 3, 12), u(2026, 10, 3, 20), timedelta(hours=1), lord_howe, 60)
    assert local_times(starts, lord_howe) == [
        "23:00+1030", "00:00+1030", "01:00+1030", "03:00+1100", "04:00+1100", "05:00+1100", "06:00+1100",
    ]  # fmt: skip
    assert starts[2:4] == [u(2026, 10, 3, 14, 30), u(2026, 10, 3, 16)]  # 90 real minutes apart


def test_lord_howe_fall_back_repeats_the_half_hour_both_occurrences_are_starts() -> None:
    # 2026-04-05: 02:00 (+11:00) falls back to 01:30 (+10:30); wall times 01:30-02:00 happen twice.
    # Hourly: 01:00 (+11) then 02:00 (+10:30), 90 real minutes apart; every 30 minutes: 01:30 twice.
    lord_howe = ZoneInfo("Australia/Lord_Howe")
    hourly = candidate_starts(u(2026, 4, 4, 13), u(2026, 4, 4, 18), timedelta(hours=1), lord_howe, 60)
    assert local_times(hourly, lord_howe) == ["00:00+1100", "01:00+1100", "02:00+1030", "03:00+1030"]
    assert hourly[1:3] == [u(2026, 4, 4, 14), u(2026, 4, 4, 15, 30)]
    halves = candidate_starts(u(2026, 4, 4, 14), u(2026, 4, 4, 16, 30), timedelta(minutes=30), lord_howe, 30)
    assert local_times(halves, lord_howe) == [
        "01:00+1100", "01:30+1100", "01:30+1030", "02:00+1030", "02:30+1030",
    ]  # fmt: skip
