"""Times as a person reads them: contract zone with its city first, UTC second, a deadline as the end of the
last local day, a person's own wall time; across midnight and across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from readout.presentation import times


def u(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_a_slot_reads_in_the_contract_city_then_utc() -> None:
    text = times.slot(u(2026, 11, 17, 18), u(2026, 11, 17, 19), "America/Mexico_City")
    assert text == "Tue 17 Nov 12:00-13:00 Mexico City (18:00-19:00 UTC)"


def test_a_slot_whose_utc_day_is_another_names_that_day() -> None:
    # 20:00 Mexico City on Thursday is 02:00 UTC on Friday.
    text = times.slot(u(2026, 11, 13, 2), u(2026, 11, 13, 3), "America/Mexico_City")
    assert text == "Thu 12 Nov 20:00-21:00 Mexico City (Fri 13 Nov 02:00-03:00 UTC)"


def test_a_slot_across_local_midnight_names_both_days() -> None:
    text = times.slot(u(2026, 11, 17, 18), u(2026, 11, 17, 19), "Asia/Kolkata")
    assert text == "Tue 17 Nov 23:30-Wed 18 Nov 00:30 Kolkata (18:00-19:00 UTC)"


def test_the_deadline_reads_as_the_end_of_the_last_local_day() -> None:
    # The contract's deadline is the local midnight starting Saturday 28 November in São Paulo (UTC-3).
    moment = u(2026, 11, 28, 3)
    assert times.deadline(moment, "America/Sao_Paulo", with_utc=False) == "end of Fri 27 Nov (São Paulo)"
    assert (
        times.deadline(moment, "America/Sao_Paulo") == "end of Fri 27 Nov (São Paulo) = Sat 28 Nov 03:00 UTC"
    )


def test_a_deadline_on_a_day_whose_midnight_does_not_exist_is_still_the_end_of_the_day_before() -> None:
    # Brazil sprang forward at 00:00 on Sunday 4 November 2018: that day started at 01:00 local (03:00 UTC).
    assert (
        times.deadline(u(2018, 11, 4, 3), "America/Sao_Paulo", with_utc=False)
        == "end of Sat 3 Nov (São Paulo)"
    )


def test_an_instant_that_is_not_a_local_midnight_is_not_called_the_end_of_a_day() -> None:
    text = times.deadline(u(2026, 11, 27, 18), "America/Sao_Paulo", with_utc=False)
    assert text == "before Fri 27 Nov 15:00 (São Paulo)"


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        # Berlin falls back at 03:00 CEST on 25 October 2026: 02:30 happens twice, an hour apart.
        (u(2026, 10, 25, 0, 30), "Sun 25 Oct 02:30 CEST-02:30 CET Berlin (00:30-01:30 UTC)"),
        # Berlin springs forward at 02:00 CET on 29 March 2026: 01:30 to 03:30 is one hour.
        (u(2026, 3, 29, 0, 30), "Sun 29 Mar 01:30 CET-03:30 CEST Berlin (00:30-01:30 UTC)"),
        # The same hour a day later: one offset, none named.
        (u(2026, 3, 30, 0, 30), "Mon 30 Mar 02:30-03:30 Berlin (00:30-01:30 UTC)"),
    ],
)
def test_a_slot_across_a_daylight_saving_change_names_both_offsets(start: datetime, expected: str) -> None:
    assert times.slot(start, start.replace(hour=start.hour + 1), "Europe/Berlin") == expected


def test_an_instant_reads_local_first_then_utc() -> None:
    assert (
        times.instant(u(2026, 11, 13, 15), "America/Mexico_City")
        == "Fri 13 Nov 09:00 Mexico City (15:00 UTC)"
    )
    assert (
        times.instant_in(u(2026, 11, 13, 2), "America/Mexico_City")
        == "Thu 12 Nov 20:00 (Fri 13 Nov 02:00 UTC)"
    )


def test_a_persons_own_time_names_the_day_only_when_it_is_not_the_contract_day() -> None:
    start, end = u(2026, 11, 17, 18), u(2026, 11, 17, 19)
    assert times.person_time(start, "Asia/Kolkata", "America/Mexico_City") == "23:30 Kolkata"
    assert times.person_time(end, "Asia/Kolkata", "America/Mexico_City") == "Wed 18 Nov 00:30 Kolkata"
    assert (
        times.person_span(start, end, "Asia/Kolkata", "America/Mexico_City")
        == "23:30-Wed 18 Nov 00:30 Kolkata"
    )
    assert times.person_span(start, end, "Asia/Kolkata", "America/Mexico_City", with_city=False) == (
        "23:30-Wed 18 Nov 00:30"
    )


@pytest.mark.parametrize(
    ("zone", "name"),
    [
        ("America/Sao_Paulo", "São Paulo"),
        ("Asia/Calcutta", "Kolkata"),  # an old alias reads as the city it names
        ("America/Argentina/Buenos_Aires", "Buenos Aires"),
        ("UTC", "UTC"),
        ("Etc/UTC", "UTC"),
        ("EST", "EST"),  # CLDR would say "Panama": not what whoever wrote EST meant
        ("Etc/GMT+5", "Etc/GMT+5"),
    ],
)
def test_a_zone_reads_as_its_city(zone: str, name: str) -> None:
    assert times.city(zone) == name


def test_an_unknown_zone_name_reads_as_utc_rather_than_failing() -> None:
    assert (
        times.slot(u(2026, 11, 17, 18), u(2026, 11, 17, 19), "Not/AZone")
        == "Tue 17 Nov 18:00-19:00 UTC (18:00-19:00 UTC)"
    )
