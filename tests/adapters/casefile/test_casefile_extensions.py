"""Readout's documented case-file extensions (docs/case-file.md): working and night hours, a hold calendar per
person, time-zone did-you-means and warnings, and labels for blackout blocks. A spec-valid file stays valid
and plans the same compliant slots."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from readout.adapters.casefile.document import parse_yaml
from readout.adapters.casefile.loader import blackout_calendar_labels, load_case
from readout.adapters.casefile.zones import suggest_zones
from readout.domain.case import Availability
from readout.domain.planner import compliant_starts, plan
from readout.domain.sources import RemoteSource
from readout.domain.weekly import Window

from .test_casefile import VALID, refusal, valid_document, with_change, write_case

MON, SAT = 0, 5
NOW = datetime(2026, 11, 3, 15, 0, tzinfo=UTC)


def _with(tmp_path: Path, *changes: tuple[str, object]) -> Path:
    doc = valid_document()
    for dotted, value in changes:
        doc = with_change(doc, dotted, value)
    return write_case(tmp_path, doc)


# --- working hours, night hours, hold calendars ---------------------------------------------------------


def test_working_and_night_hours_are_read_in_the_persons_zone(tmp_path: Path) -> None:
    loaded = load_case(
        _with(
            tmp_path,
            ("people.ravi.working_hours", {"mon-fri": ["10:00-13:00", "14:00-19:00"]}),
            ("people.ravi.night_hours", {"daily": "23:00-06:30"}),
            ("interpreters.0.working_hours", {"mon-thu": "08:00-15:00"}),
        )
    )
    ravi = loaded.case.people["ravi"]
    assert ravi.working_hours is not None
    assert ravi.working_hours.zone == ravi.zone
    assert ravi.working_hours.by_weekday[MON] == (Window(600, 780), Window(840, 1140))
    assert ravi.night_hours is not None
    assert ravi.night_hours.by_weekday[SAT] == (Window(23 * 60, 24 * 60 + 390),)
    assert loaded.case.people["dana"].working_hours is None  # not stated: the ranking's default
    (ana,) = loaded.case.interpreters
    assert ana.working_hours is not None
    assert ana.working_hours.by_weekday[4] == ()


def test_hold_calendar_is_a_caldav_collection(tmp_path: Path) -> None:
    url = "caldavs://dav.provider.example/calendars/dana/readout-holds/"
    loaded = load_case(_with(tmp_path, ("people.dana.hold_calendar", url)))
    assert loaded.hold_calendars == {"dana": RemoteSource(url)}
    assert loaded.tokened_calendars() == []
    assert load_case(VALID).hold_calendars == {}


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("https://cal.example/dana.ics", ["CalDAV collection URL", "https://cal.example/dana.ics"]),
        ("calendars/dana.ics", ["CalDAV collection URL", "calendars/dana.ics"]),
        ("caldavs://dana:hunter2@dav.example/cal/", ["without credentials"]),
        (42, ["CalDAV collection URL"]),
    ],
)
def test_hold_calendar_that_is_not_a_caldav_url_is_refused(
    tmp_path: Path, value: object, words: list[str]
) -> None:
    error = refusal(_with(tmp_path, ("people.dana.hold_calendar", value)))
    assert error.field == "people.dana.hold_calendar"
    for word in words:
        assert word in error.expected
    assert "hunter2" not in str(error)


def test_hold_calendar_with_a_query_is_a_token_like_any_calendar_url(tmp_path: Path) -> None:
    loaded = load_case(_with(tmp_path, ("people.dana.hold_calendar", "caldavs://dav.example/cal/?token=abc")))
    assert loaded.tokened_calendars() == ["caldavs://dav.example/cal/?(redacted)"]


@pytest.mark.parametrize(
    ("dotted", "value", "field"),
    [
        ("people.ravi.working_hours", {"funday": "09:00-17:00"}, "people.ravi.working_hours.funday"),
        ("people.ravi.night_hours", {"daily": "22:00-31:00"}, "people.ravi.night_hours.daily"),
        ("people.ravi.working_hours", {}, "people.ravi.working_hours"),
        ("interpreters.0.night_hours", "22:00-07:00", "interpreters.0.night_hours"),
    ],
)
def test_bad_hours_name_their_field(tmp_path: Path, dotted: str, value: object, field: str) -> None:
    assert refusal(_with(tmp_path, (dotted, value))).field == field


def test_a_typo_in_an_extension_key_still_gets_a_did_you_mean(tmp_path: Path) -> None:
    error = refusal(_with(tmp_path, ("people.ravi.working_hour", {"mon-fri": "09:00-17:00"})))
    assert error.field == "people.ravi.working_hour"
    assert "did you mean 'working_hours'" in error.expected


def test_stated_hours_never_change_the_compliant_slots(tmp_path: Path) -> None:
    plain = load_case(VALID).case
    stated = load_case(
        _with(
            tmp_path,
            ("people.ravi.working_hours", {"mon-fri": "11:00-20:00"}),
            ("people.ravi.night_hours", {"daily": "00:00-24:00"}),  # always "night": only ranks lower
            ("people.dana.hold_calendar", "caldav://dav.example/dana/"),
        )
    ).case
    free = {pid: Availability.known(()) for pid in plain.people}
    interpreters = {"ana": Availability.known(())}
    assert compliant_starts(stated, NOW, free, interpreters).tolist() == (
        compliant_starts(plain, NOW, free, interpreters).tolist()
    )
    ranked = plan(stated, NOW, free, interpreters)
    assert ranked.candidates
    assert all(c.score <= 0.5 for c in ranked.candidates)
    assert all("for Ravi Kumar (night)" in c.why[1] for c in ranked.candidates)


# --- time zones ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("america/sao_paulo", "America/Sao_Paulo"),
        ("Sydney", "Australia/Sydney"),
        ("Sao Paulo", "America/Sao_Paulo"),
        ("São Paulo", "America/Sao_Paulo"),
        ("America/Sao_Paolo", "America/Sao_Paulo"),
        ("Toronto", "America/Toronto"),
        ("europe/dublin", "Europe/Dublin"),
        ("Calcutta", "Asia/Kolkata"),
    ],
)
def test_a_time_zone_typo_gets_a_did_you_mean(tmp_path: Path, typed: str, meant: str) -> None:
    error = refusal(_with(tmp_path, ("people.ravi.timezone", typed)))
    assert error.field == "people.ravi.timezone"
    assert error.expected.startswith("expected an IANA time zone name")
    assert f"(did you mean {meant}" in error.expected
    assert "\n" not in str(error)  # one line: file, field, expectation


def test_a_zone_nobody_could_mean_gets_no_guess(tmp_path: Path) -> None:
    error = refusal(_with(tmp_path, ("customer.timezone", "Mars/Olympus")))
    assert "unknown time zone 'Mars/Olympus'" in error.expected
    assert "did you mean" not in error.expected
    assert suggest_zones("") == []
    assert suggest_zones("America/") == []  # too little to guess from
    assert suggest_zones("GMT+25") == []  # a near fixed offset is no better a guess
    assert suggest_zones("utc")[0] == "UTC"
    assert suggest_zones("x" * 5000) == []


@pytest.mark.parametrize(
    ("zone", "words"),
    [
        ("EST", "EST is a fixed UTC-05:00 offset with no daylight saving; for New York use America/New_York"),
        ("MST", "MST is a fixed UTC-07:00 offset with no daylight saving"),
        ("HST", "for Honolulu use Pacific/Honolulu"),
        ("EST5EDT", "EST5EDT is a legacy rule name, not a place; for New York use America/New_York"),
        ("GMT+0", "GMT+0 is a fixed UTC+00:00 offset with no daylight saving; for London use Europe/London"),
        ("Etc/GMT+3", "Etc/GMT+3 is a fixed UTC-03:00 offset (the sign is inverted in these names)"),
        ("CET", "for Paris use Europe/Paris"),
    ],
)
def test_zone_abbreviations_are_accepted_with_a_warning(tmp_path: Path, zone: str, words: str) -> None:
    loaded = load_case(_with(tmp_path, ("people.ravi.timezone", zone)))
    assert loaded.case.people["ravi"].zone.key == zone  # the spec says IANA names: still valid
    (warning,) = loaded.case.warnings
    assert warning.startswith("people.ravi.timezone: ")
    assert words in warning


def test_one_warning_names_every_field_using_the_zone(tmp_path: Path) -> None:
    loaded = load_case(
        _with(
            tmp_path,
            ("customer.timezone", "EST"),
            ("people.dana.timezone", "EST"),
            ("policy.coverage.timezone", "Etc/GMT+3"),
        )
    )
    assert len(loaded.case.warnings) == 2
    assert loaded.case.warnings[0].startswith("customer.timezone, people.dana.timezone: EST is a fixed")
    assert loaded.case.warnings[1].startswith("policy.coverage.timezone: Etc/GMT+3 is")


@pytest.mark.parametrize("zone", ["UTC", "Etc/UTC", "America/Sao_Paulo", "Japan", "US/Eastern"])
def test_utc_and_real_places_give_no_warning(tmp_path: Path, zone: str) -> None:
    assert load_case(_with(tmp_path, ("people.ravi.timezone", zone))).case.warnings == ()


def test_the_spec_example_has_no_warnings() -> None:
    assert load_case(VALID).case.warnings == ()


# --- blackout labels -------------------------------------------------------------------------------------


def test_absolute_blackouts_are_labelled_by_note_else_by_place(tmp_path: Path) -> None:
    assert load_case(VALID).case.blackouts.labels == ("core banking change",)
    extra = {"start": "2026-11-09T00:00:00Z", "end": "2026-11-09T02:00:00Z"}
    doc = valid_document()
    doc["customer"]["cab_blackouts"].append(extra)
    blackouts = load_case(write_case(tmp_path, doc)).case.blackouts
    assert len(blackouts.labels) == len(blackouts.absolute) == 2
    assert blackouts.labels == ("core banking change", "customer.cab_blackouts.3")


def test_calendar_blackouts_are_labelled_by_note_else_by_file(tmp_path: Path) -> None:
    assert blackout_calendar_labels(load_case(VALID)) == ("calendar globex-cab.ics",)
    noted = with_change(valid_document(), "customer.cab_blackouts.2.note", "quarter-end freeze")
    assert blackout_calendar_labels(load_case(write_case(tmp_path, noted))) == ("quarter-end freeze",)


def test_the_documented_example_loads(tmp_path: Path) -> None:
    """The extension example of docs/case-file.md, put into the spec example, is valid and means what it says."""
    text = (Path(__file__).resolve().parents[3] / "docs" / "case-file.md").read_text()
    block = next(b for b in text.split("```yaml")[1:] if "hold_calendar:" in b).split("```")[0]
    example = parse_yaml(block)
    assert isinstance(example, dict)
    doc: dict[str, Any] = valid_document()
    doc["people"].update(example["people"])
    doc["interpreters"] = example["interpreters"]
    loaded = load_case(write_case(tmp_path, doc))
    assert loaded.hold_calendars == {
        "ravi": RemoteSource("caldavs://dav.provider.example/calendars/ravi/readout/")
    }
    liam = loaded.case.people["liam"]
    assert liam.working_hours is not None
    assert liam.working_hours.by_weekday[4] == (Window(450, 720),)
    assert liam.night_hours is None  # the default: 22:00-07:00 less his working hours
    assert loaded.case.interpreters[0].working_hours is not None
