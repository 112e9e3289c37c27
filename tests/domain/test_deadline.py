"""Contractual deadline in business days, in the contract zone (spec section 3)."""

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from readout.domain.case import HolidaySet
from readout.domain.deadline import deadline, earliest_start

MEXICO = ZoneInfo("America/Mexico_City")
CHICAGO = ZoneInfo("America/Chicago")
CST = timezone(timedelta(hours=-6))


def test_spec_example_five_business_days() -> None:
    # Approved Mon 2026-11-02 15:30 in Mexico City: Nov 3,4,5,6,9 -> midnight starting Nov 10 (06:00Z).
    due = deadline(datetime(2026, 11, 2, 15, 30, tzinfo=CST), 5, MEXICO, HolidaySet())
    assert due == datetime(2026, 11, 10, 6, 0, tzinfo=UTC)


def test_holiday_moves_the_deadline_by_a_day() -> None:
    # Approved Wed 2026-11-11: Nov 12, 13, (16 is Revolution Day observed), 17, 18, 19 -> Nov 20 00:00.
    approved = datetime(2026, 11, 11, 10, 0, tzinfo=CST)
    assert deadline(approved, 5, MEXICO, HolidaySet()) == datetime(2026, 11, 19, 6, tzinfo=UTC)
    assert deadline(approved, 5, MEXICO, HolidaySet(frozenset({date(2026, 11, 16)}))) == datetime(
        2026, 11, 20, 6, tzinfo=UTC
    )


def test_thanksgiving_in_chicago() -> None:
    # Approved Wed 2026-11-25; Thu 26 is a holiday: Fri 27, Mon 30, Dec 1, 2, 3 -> Dec 4 00:00 CST.
    approved = datetime(2026, 11, 25, 9, 0, tzinfo=CST)
    due = deadline(approved, 5, CHICAGO, HolidaySet(frozenset({date(2026, 11, 26)})))
    assert due == datetime(2026, 12, 4, 6, tzinfo=UTC)


def test_approval_late_at_night_elsewhere_is_already_the_next_day_in_the_contract_zone() -> None:
    # Thu 2026-11-05 23:30 in Los Angeles is Fri 01:30 in Mexico City: counting starts after Friday.
    approved = datetime(2026, 11, 5, 23, 30, tzinfo=ZoneInfo("America/Los_Angeles"))
    due = deadline(approved, 5, MEXICO, HolidaySet())
    assert due == datetime(2026, 11, 14, 6, tzinfo=UTC)  # Nov 9..13, not Nov 6..12


def test_approval_on_a_weekend_counts_from_monday() -> None:
    approved = datetime(2026, 11, 7, 12, 0, tzinfo=CST)  # Saturday
    assert deadline(approved, 1, MEXICO, HolidaySet()) == datetime(2026, 11, 10, 6, tzinfo=UTC)


def test_deadline_midnight_after_dst_change_uses_the_new_offset() -> None:
    # Chicago: Oct 29, 30, Nov 2, 3, 4 -> Nov 5 00:00 CST (-6) = 06:00Z, though approval was in CDT.
    approved = datetime(2026, 10, 28, 12, 0, tzinfo=CHICAGO)
    assert deadline(approved, 5, CHICAGO, HolidaySet()) == datetime(2026, 11, 5, 6, tzinfo=UTC)


def test_earliest_is_later_of_now_and_approval_plus_notice() -> None:
    approved = datetime(2026, 11, 2, 21, 30, tzinfo=UTC)
    now = datetime(2026, 11, 3, 15, 0, tzinfo=UTC)
    assert earliest_start(now, approved, timedelta(hours=24)) == datetime(2026, 11, 4, 15, tzinfo=UTC)
    assert earliest_start(approved - timedelta(days=1), approved, timedelta(0)) == approved
