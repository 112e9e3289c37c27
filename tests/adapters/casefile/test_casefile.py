"""Case files at the edge: a valid case builds the expected domain values, and every bad input is refused
with the file, the field path as the user typed it, and what was expected."""

from __future__ import annotations

import copy
import dataclasses
import json
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from readout.adapters.casefile.document import parse_yaml
from readout.adapters.casefile.loader import LoadedCase, load_case
from readout.adapters.casefile.schema import RolesSpec
from readout.domain.intervals import Interval
from readout.domain.names import ROLES
from readout.domain.weekly import Window
from readout.errors import CaseFileError

CASES = Path(__file__).resolve().parents[2] / "cases"
VALID = CASES / "valid-full.yaml"
MEXICO, CHICAGO, KOLKATA = (
    ZoneInfo("America/Mexico_City"),
    ZoneInfo("America/Chicago"),
    ZoneInfo("Asia/Kolkata"),
)
MON, TUE, THU, SAT = 0, 1, 3, 5
DELETE = object()


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def valid_document() -> dict[str, Any]:
    data = parse_yaml(VALID.read_text())
    assert isinstance(data, dict)
    return data


def with_change(doc: dict[str, Any], dotted: str, value: object) -> dict[str, Any]:
    """A copy of ``doc`` with ``value`` at the dotted path (list items by index); DELETE removes the key."""
    doc = copy.deepcopy(doc)
    *parents, last = dotted.split(".")
    node: Any = doc
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    elif value is DELETE:
        del node[last]
    else:
        node[last] = value
    return doc


def write_case(folder: Path, doc: object, name: str = "case.json") -> Path:
    """Write a case next to a copy of the fixture calendars, so relative calendar paths resolve."""
    if not (folder / "calendars").exists():
        shutil.copytree(CASES / "calendars", folder / "calendars")
    path = folder / name
    path.write_text(json.dumps(doc) if name.endswith(".json") else str(doc))
    return path


def refusal(path: Path) -> CaseFileError:
    with pytest.raises(CaseFileError) as info:
        load_case(path)
    assert info.value.file == str(path)
    assert str(info.value).startswith(str(path))  # the message names the file
    return info.value


# --- the valid case ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def full() -> LoadedCase:
    return load_case(VALID)


def test_full_case_top_level_values(full: LoadedCase) -> None:
    case = full.case
    assert (case.escalation_id, case.customer_id, case.customer_name) == (
        "ESC-48213",
        "globex-financial",
        "Globex Financial",
    )
    assert case.customer_zone == MEXICO
    assert case.approved_at == utc(2026, 11, 2, 21, 30)
    assert full.now == utc(2026, 11, 3, 15, 0)
    assert case.summary == "SSO token validation outage"
    assert full.source == str(VALID)


def test_full_case_readout_and_policy(full: LoadedCase) -> None:
    case = full.case
    assert case.readout.due_business_days == 5
    assert case.readout.duration == timedelta(minutes=60)
    assert case.readout.min_notice == timedelta(hours=24)
    assert (case.readout.language, case.readout.modality) == ("es", "video")
    assert (case.granularity, case.tentative_is_busy) == (15, True)
    assert (case.hold_count, case.hold_ttl) == (3, timedelta(hours=24))


def test_full_case_business_days_default_to_the_customer(full: LoadedCase) -> None:
    case = full.case
    assert case.business_zone == MEXICO
    assert date(2026, 11, 16) in case.business_holidays  # Revolution Day (observed), from the library
    assert date(2026, 11, 20) in case.business_holidays  # `extra`
    assert date(2026, 11, 26) not in case.business_holidays  # a US holiday, not Mexican
    assert case.meeting_hours is not None
    assert case.meeting_hours.holidays == case.business_holidays


def test_full_case_weekly_windows(full: LoadedCase) -> None:
    case = full.case
    assert case.meeting_hours is not None
    assert case.meeting_hours.hours.zone == MEXICO
    assert case.meeting_hours.hours.by_weekday[MON] == (Window(8 * 60, 18 * 60),)
    assert case.meeting_hours.hours.by_weekday[SAT] == ()
    assert case.coverage is not None
    assert case.coverage.hours.zone == CHICAGO
    assert case.coverage.hours.by_weekday[MON] == (Window(7 * 60, 19 * 60),)
    assert date(2026, 11, 26) in case.coverage.holidays  # US Thanksgiving
    assert case.grid_zone == CHICAGO


def test_full_case_blackouts(full: LoadedCase) -> None:
    blackouts = full.case.blackouts
    assert blackouts.absolute == (Interval(utc(2026, 11, 6, 0, 0), utc(2026, 11, 6, 8, 0)),)
    (weekly,) = blackouts.weekly
    assert weekly.zone == MEXICO  # defaults to the customer's
    assert weekly.by_weekday[THU] == (Window(17 * 60, 20 * 60),)
    assert full.blackout_calendars == (CASES / "calendars" / "globex-cab.ics",)


def test_full_case_people_and_roles(full: LoadedCase) -> None:
    case = full.case
    ravi, luis, sam = case.people["ravi"], case.people["luis"], case.people["sam"]
    assert (ravi.name, ravi.email, ravi.zone, ravi.has_calendar) == (
        "Ravi Kumar",
        "ravi.kumar@provider.example",
        KOLKATA,
        True,
    )
    (handoff,) = ravi.protected
    assert handoff.zone == KOLKATA  # defaults to the person's
    assert handoff.by_weekday[MON] == (Window(17 * 60 + 30, 18 * 60 + 30),)
    assert luis.availability is not None
    assert luis.availability.by_weekday[TUE] == (Window(9 * 60, 13 * 60),)
    assert luis.availability.by_weekday[MON] == ()
    assert (luis.has_calendar, luis.protected) == (False, ())
    assert (sam.name, sam.email) == ("sam", "")  # defaults: the id and no address
    assert case.roles == {
        "escalation_manager": "dana",
        "fix_owner": "ravi",
        "customer_success_director": "mei",
        "customer_incident_manager": "luis",
    }
    assert case.optional_attendees == ("sam",)


def test_full_case_interpreters_and_calendars(full: LoadedCase) -> None:
    (ana,) = full.case.interpreters
    assert (ana.id, ana.languages, ana.approved_for, ana.zone, ana.has_calendar) == (
        "ana",
        ("es",),
        ("globex-financial",),
        MEXICO,
        True,
    )
    assert ana.qualifies("es", "globex-financial")
    assert ana.availability is not None
    assert ana.availability.by_weekday[MON] == (Window(8 * 60, 15 * 60),)
    assert full.calendars == {
        "dana": CASES / "calendars" / "dana.ics",
        "ravi": CASES / "calendars" / "ravi.ics",
        "ana": CASES / "calendars" / "ana.ics",
    }
    assert all(p.is_absolute() for p in full.calendars.values())


def test_json_variant_loads_identically(full: LoadedCase) -> None:
    from_json = load_case(CASES / "valid-full.json")
    assert dataclasses.replace(from_json, document=full.document) == full
    assert from_json.document.digest == full.document.digest  # the same data, however it was written


def test_relative_case_path_resolves_calendars_next_to_the_case_file(
    full: LoadedCase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(CASES.parent)
    loaded = load_case(Path("cases/valid-full.yaml"))
    assert loaded.calendars == full.calendars
    assert loaded.source == "cases/valid-full.yaml"  # as given: the path error messages name


def test_other_extensions_are_read_as_yaml(tmp_path: Path) -> None:
    path = write_case(tmp_path, VALID.read_text(), name="case.readout")
    assert load_case(path).case.escalation_id == "ESC-48213"


# --- defaults and values that are not errors --------------------------------------------------------------


def test_minimal_case_takes_the_documented_defaults() -> None:
    loaded = load_case(CASES / "valid-minimal.yaml")
    case = loaded.case
    assert case.readout.due_business_days == 5
    assert case.readout.duration == timedelta(minutes=60)
    assert case.readout.min_notice == timedelta(0)
    assert (case.readout.language, case.readout.modality) == (None, "video")
    assert (case.granularity, case.tentative_is_busy, case.hold_count) == (15, True, 3)
    assert case.hold_ttl == timedelta(hours=24)
    assert (case.coverage, case.meeting_hours, case.interpreters) == (None, None, ())
    assert (case.blackouts.absolute, case.blackouts.weekly) == ((), ())
    assert case.business_zone == ZoneInfo("Europe/Oslo")
    assert (case.customer_name, case.summary) == ("nordlys", "")
    assert (loaded.now, loaded.calendars, loaded.blackout_calendars) == (None, {}, ())
    assert case.roles == {"escalation_manager": "kari"} | dict.fromkeys(ROLES[1:])


def test_country_no_stays_norway() -> None:
    case = load_case(CASES / "valid-minimal.yaml").case
    assert date(2026, 5, 17) in case.business_holidays  # Norwegian Constitution Day


def test_yaml_keeps_timestamps_dates_and_yes_no_as_text() -> None:
    data = parse_yaml("a: NO\nb: yes\nc: off\nd: 2026-11-20\ne: 2026-11-03T09:00:00Z\nf: true\ng: False\n")
    assert data == {"a": "NO", "b": "yes", "c": "off", "d": "2026-11-20", "e": "2026-11-03T09:00:00Z"} | {
        "f": True,
        "g": False,
    }


def test_unapproved_rca_and_unassigned_roles_are_not_errors() -> None:
    case = load_case(CASES / "valid-not-ready.yaml").case
    assert case.approved_at is None
    assert case.roles == {
        "escalation_manager": "peter",
        "fix_owner": None,
        "customer_success_director": "bill",  # unknown: kept for the planner to report
        "customer_incident_manager": None,
    }


def test_null_means_the_default(tmp_path: Path) -> None:
    doc = with_change(valid_document(), "policy.granularity_minutes", None)
    doc = with_change(doc, "escalation.readout.modality", None)
    case = load_case(write_case(tmp_path, doc)).case
    assert (case.granularity, case.readout.modality) == (15, "video")


def test_separate_business_day_calendar(tmp_path: Path) -> None:
    doc = with_change(
        valid_document(), "policy.business_days", {"timezone": "UTC", "holidays": {"country": "US"}}
    )
    case = load_case(write_case(tmp_path, doc)).case
    assert case.business_zone == ZoneInfo("UTC")
    assert date(2026, 11, 26) in case.business_holidays
    assert case.meeting_hours is not None
    assert date(2026, 11, 26) not in case.meeting_hours.holidays


def test_roles_schema_matches_the_domain_roles() -> None:
    assert tuple(RolesSpec.model_fields) == ROLES


# --- one refusal per bad-input class ----------------------------------------------------------------------

BLACKOUT_END_BEFORE_START = "2026-11-05T17:00:00-06:00"
SECOND_ANA = {"id": "ana", "languages": ["es"], "approved_for": ["*"], "timezone": "UTC"}

BAD_FIELDS = [
    ("polcy", {}, "polcy", ["unknown key", "did you mean 'policy'"]),
    ("people.dana.timzone", "UTC", "people.dana.timzone", ["unknown key", "did you mean 'timezone'"]),
    ("roles.fix_ownr", "ravi", "roles.fix_ownr", ["unknown key", "fix_owner"]),
    ("customer.cab_blackouts.1.timzone", "UTC", "customer.cab_blackouts.1.timzone", ["unknown key"]),
    (
        "escalation.customer_safe_rca_approved_at",
        "2026-11-03T09:00:00",
        "escalation.customer_safe_rca_approved_at",
        ["ISO 8601 timestamp with an offset or Z", "2026-11-03T09:00:00"],
    ),
    ("now", "next tuesday", "now", ["ISO 8601 timestamp"]),
    ("people.ravi.timezone", "Mars/Olympus", "people.ravi.timezone", ["unknown time zone", "Mars/Olympus"]),
    ("customer.timezone", "localtime", "customer.timezone", ["IANA time zone"]),
    (
        "customer.meeting_hours",
        {"mon-fri": "25:00-26:00"},
        "customer.meeting_hours.mon-fri",
        ["time window", "25:00-26:00"],
    ),
    ("people.luis.availability", {"funday": "09:00-13:00"}, "people.luis.availability.funday", ["day key"]),
    (
        "customer.cab_blackouts.1.weekly",
        {"thu": ["17:00-20:00", "9-10"]},
        "customer.cab_blackouts.1.weekly.thu",
        ["time window", "9-10"],
    ),
    ("customer.meeting_hours", {}, "customer.meeting_hours", ["at least one"]),
    ("escalation.readout.duration_minutes", 0, "escalation.readout.duration_minutes", ["greater than 0"]),
    ("escalation.readout.duration_minutes", -30, "escalation.readout.duration_minutes", ["greater than 0"]),
    ("escalation.readout.duration_minutes", "60", "escalation.readout.duration_minutes", ["whole number"]),
    ("policy.granularity_minutes", 20, "policy.granularity_minutes", ["5, 10, 15, 30 or 60", "20"]),
    (
        "customer.cab_blackouts.0.end",
        BLACKOUT_END_BEFORE_START,
        "customer.cab_blackouts.0.end",
        ["end at or after the start"],
    ),
    (
        "customer.cab_blackouts.1",
        {"note": "no shape"},
        "customer.cab_blackouts.1",
        ["{start, end", "{calendar"],
    ),
    (
        "people.dana.calendar",
        "calendars/missing.ics",
        "people.dana.calendar",
        ["calendar file not found", "calendars/missing.ics"],
    ),
    (
        "interpreters.0.calendar",
        "calendars/missing.ics",
        "interpreters.0.calendar",
        ["calendar file not found"],
    ),
    (
        "customer.cab_blackouts.2.calendar",
        "calendars",
        "customer.cab_blackouts.2.calendar",
        ["is a folder, not an .ics file"],
    ),
    (
        "people.ravi.calendar",
        "ftp://files.example/ravi.ics",
        "people.ravi.calendar",
        ["expected a local path or a http, https, webcal, caldav, caldavs URL"],
    ),
    ("customer.holidays.country", "XX", "customer.holidays.country", ["country code", "'XX'"]),
    ("customer.holidays.subdiv", "ZZ", "customer.holidays.subdiv", ["no subdivisions for MX"]),
    (
        "policy.coverage.holidays",
        {"country": "US", "subdiv": "ZZ"},
        "policy.coverage.holidays.subdiv",
        ["TX"],
    ),
    ("customer.holidays.extra", ["2026-11-31"], "customer.holidays.extra.0", ["date YYYY-MM-DD"]),
    ("escalation.readout.due_business_days", 0, "escalation.readout.due_business_days", ["at least 1"]),
    ("escalation.readout.min_notice_hours", -1, "escalation.readout.min_notice_hours", ["at least 0"]),
    ("escalation.readout.modality", "carrier-pigeon", "escalation.readout.modality", ["'video', 'phone'"]),
    ("policy.holds.count", 0, "policy.holds.count", ["at least 1"]),
    ("policy.holds.ttl_hours", 0, "policy.holds.ttl_hours", ["greater than 0"]),
    ("policy.holds.ttl_hours", -2.5, "policy.holds.ttl_hours", ["greater than 0"]),
    ("policy.tentative_is_busy", "yes", "policy.tentative_is_busy", ["true or false"]),
    ("interpreters.1", SECOND_ANA, "interpreters.1.id", ["unique", "'ana'"]),
    ("interpreters.0.id", "dana", "interpreters.0.id", ["not used in people"]),
    ("interpreters.0.languages", DELETE, "interpreters.0.languages", ["required"]),
    ("interpreters.0.approved_for", [], "interpreters.0.approved_for", ["at least one"]),
    ("people.luis.timezone", DELETE, "people.luis.timezone", ["required"]),
    ("customer.id", 5, "customer.id", ["text"]),
    ("roles.fix_owner", 7, "roles.fix_owner", ["text"]),
]


@pytest.mark.parametrize(
    ("where", "value", "field", "words"),
    [pytest.param(*bad, id=f"{bad[0]}={bad[1]!r}"[:60]) for bad in BAD_FIELDS],
)
def test_bad_value_is_refused_with_its_field_path(
    tmp_path: Path, where: str, value: object, field: str, words: list[str]
) -> None:
    doc = valid_document()
    if where == "interpreters.1":
        doc["interpreters"].append(None)  # with_change replaces list items: make room for the duplicate
    error = refusal(write_case(tmp_path, with_change(doc, where, value)))
    assert error.field == field
    for word in words:
        assert word in error.expected


def test_yaml_and_json_give_the_same_field_path(tmp_path: Path) -> None:
    doc = with_change(valid_document(), "people.luis.availability", {"funday": "09:00-13:00"})
    (tmp_path / "y").mkdir()
    yaml_text = json.dumps(doc)  # JSON is YAML: the same document through the YAML reader
    from_yaml = refusal(write_case(tmp_path / "y", yaml_text, name="case.yaml"))
    assert from_yaml.field == "people.luis.availability.funday"


def test_several_problems_are_listed_unknown_key_first(tmp_path: Path) -> None:
    doc = with_change(valid_document(), "people.luis.timezone", "Mars/Olympus")
    doc = with_change(doc, "policy.granularity_minutes", 7)
    doc = with_change(doc, "people.dana.timzone", "UTC")
    error = refusal(write_case(tmp_path, doc))
    assert error.field == "people.dana.timzone"
    message = str(error)
    assert "\n  people.luis.timezone: " in message
    assert "\n  policy.granularity_minutes: " in message


# --- file-level refusals ----------------------------------------------------------------------------------


def test_yaml_syntax_error_names_line_and_column() -> None:
    error = refusal(CASES / "invalid-yaml-syntax.yaml")
    assert error.field == ""
    assert "invalid YAML at line 5, column" in error.expected


def test_json_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text('{"version": 1,\n "escalation": {"id": "x",}\n}')
    assert "invalid JSON at line 2, column" in refusal(path).expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("version: 1\nversion: 1\n", "duplicate key 'version'"),
        ('{"version": 1, "version": 1}', "duplicate key 'version'"),
    ],
)
def test_duplicate_keys_are_refused(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / ("case.json" if text.startswith("{") else "case.yaml")
    path.write_text(text)
    assert words in refusal(path).expected


@pytest.mark.parametrize("text", ["", "   \n", "# nothing but a comment\n"])
def test_empty_file_is_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(text)
    assert "empty" in refusal(path).expected


def test_empty_fixture_and_empty_json_are_refused(tmp_path: Path) -> None:
    assert "empty" in refusal(CASES / "invalid-empty.yaml").expected
    (tmp_path / "case.json").write_text("")
    assert "empty" in refusal(tmp_path / "case.json").expected


def test_top_level_must_be_a_mapping() -> None:
    error = refusal(CASES / "invalid-top-level-list.yaml")
    assert "mapping at the top level" in error.expected
    assert "list" in error.expected


def test_unsupported_version_is_refused_before_anything_else() -> None:
    error = refusal(CASES / "invalid-version-2.yaml")
    assert error.field == "version"
    assert "only supported" in error.expected


@pytest.mark.parametrize("version", [DELETE, "1", 1.0, True, None])
def test_version_must_be_the_integer_1(tmp_path: Path, version: object) -> None:
    error = refusal(write_case(tmp_path, with_change(valid_document(), "version", version)))
    assert error.field == "version"
    assert "version: 1" in error.expected or "only supported" in error.expected


def test_missing_case_file(tmp_path: Path) -> None:
    assert "not found" in refusal(tmp_path / "nope.yaml").expected


def test_case_file_that_is_a_directory(tmp_path: Path) -> None:
    assert refusal(tmp_path).expected == "is a directory, not a regular file"


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_bytes(b"version: 1\nescalation: {id: \xff}\n")
    assert "UTF-8" in refusal(path).expected


@pytest.mark.parametrize(
    "text",
    [
        "version: 1\nescalation: !!python/object:os.system {}\n",
        "version: 1\nescalation: !!binary aGVsbG8=\n",
        "version: 1\n? [a, b]\n: c\n",
        "[" * 5000,  # nested too deeply
    ],
)
def test_odd_yaml_is_refused_without_a_traceback(tmp_path: Path, text: str) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(text)
    refusal(path)
