"""Holiday sets built from the ``holidays`` package: real calendars, checked against what the library says."""

from __future__ import annotations

from datetime import date

import pytest

from readout.adapters.casefile.holidays import (
    HolidayCalendarError,
    holiday_set,
    holiday_years,
    public_holidays,
)

Y2026 = range(2026, 2027)


def test_mexico_revolution_day_is_observed_on_the_third_monday_of_november() -> None:
    mx = public_holidays("MX", None, Y2026)
    assert date(2026, 11, 16) in mx  # the library lists the observed Monday ...
    assert date(2026, 11, 20) not in mx  # ... not the historical date: case files add it with `extra`
    assert date(2026, 11, 2) not in mx  # Day of the Dead is not a statutory holiday


def test_us_thanksgiving_2026() -> None:
    us = public_holidays("US", None, Y2026)
    assert date(2026, 11, 26) in us
    assert date(2026, 11, 27) not in us  # the day after is not a federal holiday


def test_subdivision_adds_its_own_holidays() -> None:
    assert date(2026, 6, 24) in public_holidays("CA", "QC", Y2026)  # Saint-Jean-Baptiste, Québec only
    assert date(2026, 6, 24) not in public_holidays("CA", "ON", Y2026)
    assert date(2026, 1, 6) in public_holidays("DE", "BY", Y2026)  # Epiphany in Bavaria
    assert date(2026, 1, 6) not in public_holidays("DE", None, Y2026)


def test_country_code_is_case_insensitive_and_norway_is_a_country() -> None:
    assert public_holidays("mx", None, Y2026) == public_holidays("MX", None, Y2026)
    assert date(2026, 5, 17) in public_holidays("NO", None, Y2026)  # Constitution Day


def test_holidays_cover_every_requested_year() -> None:
    us = public_holidays("US", None, range(2025, 2028))
    assert {date(2025, 11, 27), date(2026, 11, 26), date(2027, 11, 25)} <= us


def test_holiday_set_adds_extra_dates() -> None:
    days = holiday_set("MX", None, [date(2026, 11, 20)], Y2026)
    assert date(2026, 11, 20) in days
    assert date(2026, 11, 16) in days


def test_holiday_set_without_country_is_only_the_extra_dates() -> None:
    assert holiday_set(None, None, [date(2026, 3, 3)], Y2026).dates == frozenset({date(2026, 3, 3)})
    assert holiday_set(None, None, [], Y2026).dates == frozenset()


def test_unknown_country_names_the_country_key() -> None:
    with pytest.raises(HolidayCalendarError, match="country code") as info:
        public_holidays("XX", None, Y2026)
    assert info.value.part == "country"


def test_unknown_subdivision_lists_the_known_ones() -> None:
    with pytest.raises(HolidayCalendarError, match=r"subdivision of US .*TX") as info:
        public_holidays("US", "ZZ", Y2026)
    assert info.value.part == "subdiv"


def test_subdivision_of_a_country_without_any_is_refused() -> None:
    with pytest.raises(HolidayCalendarError, match="no subdivisions for MX") as info:
        public_holidays("MX", "CDMX", Y2026)
    assert info.value.part == "subdiv"


def test_subdiv_without_country_is_refused() -> None:
    with pytest.raises(HolidayCalendarError, match="country alongside subdiv 'TX'") as info:
        holiday_set(None, "TX", [], Y2026)
    assert info.value.part == "subdiv"


@pytest.mark.parametrize(
    ("anchor", "due", "years"),
    [(2026, 5, range(2025, 2029)), (2026, 250, range(2025, 2030)), (2026, 600, range(2025, 2031))],
)
def test_holiday_years_span_the_year_before_to_two_after_plus_long_contracts(
    anchor: int, due: int, years: range
) -> None:
    assert holiday_years(anchor, due) == years
