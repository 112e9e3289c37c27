"""Zones defined only by a VTIMEZONE agree with the IANA zone they copy, gaps and repeated hours included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar, Component, Timezone

from readout.adapters.ics.problem import IcsProblem
from readout.adapters.ics.zones import DefinedZone, utc_instant

CALENDARS = Path(__file__).resolve().parents[2] / "calendars"

# (fixture, TZID, the IANA zone it describes, first year its rules are the IANA ones)
DEFINITIONS = [
    ("outlook-windows-tzid.ics", "W. Europe Standard Time", "Europe/Berlin", 1997),
    ("outlook-windows-tzid.ics", "Pacific Standard Time", "America/Los_Angeles", 2008),
    ("made-up-tzid-defined-by-vtimezone.ics", "Customized Time Zone", "America/Chicago", 2008),
    ("google-recurring-with-exdate.ics", "America/New_York", "America/New_York", 2008),
    ("icalendar-generated-vtimezone.ics", "Australia/Lord_Howe", "Australia/Lord_Howe", 1990),
    ("icalendar-generated-vtimezone.ics", "Asia/Kolkata", "Asia/Kolkata", 1970),
]


def defined(name: str, tzid: str) -> DefinedZone:
    calendar = Calendar.from_ical((CALENDARS / name).read_bytes())
    [definition] = [
        tz for tz in calendar.subcomponents if isinstance(tz, Timezone) and str(tz["TZID"]) == tzid
    ]
    return DefinedZone(definition, tzid)


@pytest.mark.parametrize(("name", "tzid", "iana", "since"), DEFINITIONS)
@settings(max_examples=150, deadline=None)
@given(offset=st.integers(0, 10**9), minutes=st.integers(0, 24 * 60 - 1))
def test_defined_zone_matches_iana(
    name: str, tzid: str, iana: str, since: int, offset: int, minutes: int
) -> None:
    zone, reference = defined(name, tzid), ZoneInfo(iana)
    first, last = datetime(since, 1, 1), datetime(2037, 1, 1)
    moment = first + (last - first) * (offset / 10**9)
    moment = moment.replace(second=0, microsecond=0)
    assert zone.offset_at(moment) == reference.utcoffset(moment.replace(tzinfo=UTC).astimezone(reference))
    # A wall time (gaps and repeated hours included: any minute of the day) maps to the same instant.
    wall = datetime.combine(moment.date(), datetime.min.time()) + timedelta(minutes=minutes)
    assert utc_instant(wall, zone) == utc_instant(wall, reference)


def test_transition_days_resolve_gaps_and_folds_like_zoneinfo() -> None:
    zone, reference = (
        defined("made-up-tzid-defined-by-vtimezone.ics", "Customized Time Zone"),
        ZoneInfo("America/Chicago"),
    )
    for day in (datetime(2026, 3, 8), datetime(2026, 11, 1)):
        for minute in range(0, 24 * 60, 5):
            wall = day + timedelta(minutes=minute)
            assert utc_instant(wall, zone) == utc_instant(wall, reference), wall


@pytest.mark.parametrize("parts", [[], [{"DTSTART": datetime(1970, 1, 1)}]])
def test_issue_9_a_broken_vtimezone_is_described_without_its_tzid(parts: list[dict[str, datetime]]) -> None:
    definition = Timezone()
    definition.add("TZID", "CONFIDENTIAL Lumbergh time")
    for values in parts:
        part = Component()
        part.name = "STANDARD"
        for key, value in values.items():
            part.add(key, value)
        definition.add_component(part)
    with pytest.raises(IcsProblem) as caught:
        DefinedZone(definition, "CONFIDENTIAL Lumbergh time")
    assert "CONFIDENTIAL" not in str(caught.value)
    assert "Lumbergh" not in caught.value.problem
