"""The busy-time parser reads what icalendar reads, refuses what it refuses, and skips only unread lines."""

from __future__ import annotations

import ast
import inspect
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar, Component

from readout.adapters.ics import expand as ics_expand
from readout.adapters.ics.parser import TIMING, parse_calendars
from readout.adapters.ics.reader import parse_busy
from readout.adapters.ics.source import SourceText
from readout.domain.intervals import Interval
from readout.errors import CalendarError

CALENDARS = Path(__file__).resolve().parents[2] / "calendars"
NOVEMBER = Interval(datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 16, tzinfo=UTC))
FIXTURES = sorted(path.name for path in CALENDARS.glob("*.ics") if path.stat().st_size)
NAMES = ["ATTENDEE", "ORGANIZER", "SUMMARY", "DESCRIPTION", "LOCATION", "DTSTAMP", "CATEGORIES", "GEO"]
NAMES += ["PRIORITY", "URL", "X-FOO", "summary", "attendee", *sorted(TIMING), "dtstart", "BEGIN", "END"]
PIECES = [*'aZ09 ,;:"\\=^%/-.\tnT\r', "VEVENT", "20261103T140000", "Z", "é", "America/Chicago"]
TEXT = st.lists(st.sampled_from(PIECES), max_size=8).map("".join)
PARAMETER = st.tuples(st.sampled_from(["CN", "ROLE", "TZID", "VALUE", "RANGE", "X-P", "cn", "", "C N"]), TEXT)


@st.composite
def content_lines(draw: st.DrawFn) -> str:
    """Lines as exports write them and as they break: odd parameters, quotes, escapes, stray delimiters."""
    name = draw(st.sampled_from(NAMES))
    parameters = "".join(f";{key}={value}" for key, value in draw(st.lists(PARAMETER, max_size=3)))
    return f"{name}{parameters}{draw(st.sampled_from([':', ';', '']))}{draw(TEXT)}"


def inserted(name: str, lines: list[tuple[float, str]]) -> str:
    """The fixture with ``lines`` inserted at the given relative positions (never before line 1)."""
    text = SourceText((CALENDARS / name).read_bytes()).content.splitlines()
    for where, line in lines:
        text.insert(1 + int(where * (len(text) - 1)), line)
    return "\r\n".join(text) + "\r\n"


def reading(parse: Any, content: str) -> object:
    """Everything busy time can see of a parse: refusal, the component tree, every property it reads (of a
    VEVENT the timing ones, of any other component all) with parameters, and the errors it looks at."""
    try:
        calendars = parse(content)
    except Exception:  # whether it is refused is what is compared, not how
        return "refused"
    return [_component(component) for component in calendars]


def _component(component: Component) -> object:
    event = component.name == "VEVENT"
    props = []
    for name in sorted(component.keys()):
        if event and name not in TIMING:
            continue
        values = component[name] if isinstance(component[name], list) else [component[name]]
        props.append((name, [(_library_type(v), v.to_ical(), sorted(v.params.items())) for v in values]))
    errors = [(prop, "error") for prop, _ in component.errors if not event or prop is None or prop in TIMING]
    return (component.name, props, errors, [_component(child) for child in component.subcomponents])


def _library_type(value: object) -> str:
    """icalendar's value type of a property; the parser reads durations with subclasses that keep them as
    written (``durations.py``), which are the same values to everything but busy time."""
    return next(kind.__name__ for kind in type(value).__mro__ if kind.__module__.startswith("icalendar"))


def library(content: str) -> list[Component]:
    return Calendar.from_ical(content, multiple=True)


@pytest.mark.filterwarnings("ignore::icalendar.error.GloballyUniqueTZIDGuessed")
@pytest.mark.parametrize("name", FIXTURES)
def test_fixtures_read_as_icalendar_reads_them(name: str) -> None:
    content = SourceText((CALENDARS / name).read_bytes()).content
    assert reading(parse_calendars, content) == reading(library, content)


@pytest.mark.filterwarnings("ignore::icalendar.error.GloballyUniqueTZIDGuessed")
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(FIXTURES),
    lines=st.lists(st.tuples(st.floats(0, 1), content_lines()), min_size=1, max_size=4),
)
def test_any_line_anywhere_is_read_or_refused_as_icalendar_does(
    name: str, lines: list[tuple[float, str]]
) -> None:
    content = inserted(name, lines)
    reading(parse_calendars, content)  # icalendar caches VTIMEZONEs process-wide: both start from this file's
    assert reading(parse_calendars, content) == reading(library, content)


def busy_or_error(content: str) -> tuple[Interval, ...] | str:
    try:
        return parse_busy(
            content.encode(),
            source="x.ics",
            window=NOVEMBER,
            zone=ZoneInfo("America/Chicago"),
            tentative_is_busy=True,
        )
    except CalendarError as error:
        return error.detail


ATTENDEES = [
    'ATTENDEE;CN="Doe, Jane";ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:jane@example.com',
    "ATTENDEE;CN=Ann Lee;X-NUM-GUESTS=0:mailto:ann@example.com",
    "ORGANIZER;CN=Boss:mailto:boss@example.com",
    "SUMMARY;LANGUAGE=en:Quarterly review\\, budget\\; and: more",
    "DESCRIPTION:Join by video\\nhttps://meet.example/abc?x=1",
    "DTSTAMP:20261001T000000Z",
    "DTSTAMP:not a date",
    "X-MICROSOFT-CDO-BUSYSTATUS:FREE",
    'LOCATION;ALTREP="http://x.example/a:b":Room 4',
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from([n for n in FIXTURES if "VEVENT" in (CALENDARS / n).read_text(errors="replace")]),
    lines=st.lists(st.sampled_from(ATTENDEES), min_size=1, max_size=6),
    seed=st.integers(0, 10_000),
)
def test_lines_busy_time_does_not_read_never_change_busy_time(name: str, lines: list[str], seed: int) -> None:
    # Each line goes right after a BEGIN:VEVENT, so it sits in an event (and error line numbers move).
    text = SourceText((CALENDARS / name).read_bytes()).content.splitlines()
    extended = list(text)
    for n, line in enumerate(lines):
        starts = [i for i, line in enumerate(extended) if line.strip().upper() == "BEGIN:VEVENT"]
        extended.insert(starts[(seed + n) % len(starts)] + 1, line)
    plain, noisy = busy_or_error("\r\n".join(text)), busy_or_error("\r\n".join(extended))
    if isinstance(plain, str):
        assert isinstance(noisy, str)  # still refused; the line numbers may have moved
    else:
        assert noisy == plain


def test_a_broken_line_the_library_would_refuse_is_still_refused() -> None:
    # Outside a VEVENT a bad value makes icalendar refuse the whole file: skipping it would read it as free.
    content = inserted("tentative-event.ics", [(0.0, "PRIORITY;VALUE=INTEGER:high")])
    assert reading(library, content) == "refused"
    assert reading(parse_calendars, content) == "refused"
    with pytest.raises(CalendarError):
        parse_busy(
            content.encode(),
            source="x.ics",
            window=NOVEMBER,
            zone=ZoneInfo("America/Chicago"),
            tentative_is_busy=True,
        )


def test_a_skipped_event_line_keeps_error_line_numbers() -> None:
    # malformed-bad-dtstart.ics: DTSTART on line 7 of the VEVENT from line 4; attendee lines before it move it.
    text = (CALENDARS / "malformed-bad-dtstart.ics").read_text().splitlines()
    text[4:4] = [ATTENDEES[0], ATTENDEES[3]]
    assert (
        busy_or_error("\r\n".join(text))
        == "line 9 (in the VEVENT starting at line 4): DTSTART cannot be parsed"
    )


def test_every_property_busy_time_reads_is_one_the_parser_keeps() -> None:
    """The parser drops VEVENT lines outside TIMING, so a property the expansion starts reading must be added
    there too, or it would silently never arrive."""
    readers = {"_get", "_has", "_typed", "_read", "_values"}
    names = {
        call.args[1].value
        for call in ast.walk(ast.parse(inspect.getsource(ics_expand)))
        if isinstance(call, ast.Call)
        and isinstance(call.func, ast.Name)
        and call.func.id in readers
        and len(call.args) > 1
        and isinstance(call.args[1], ast.Constant)
    }
    assert {"DTSTART", "RRULE", "STATUS"} <= names  # the scan finds the reads
    assert names - {"FREEBUSY"} <= TIMING  # FREEBUSY is read from VFREEBUSY, whose lines are all kept


def test_durations_keep_how_they_were_written() -> None:
    # icalendar reads P1D and PT24H as the same timedelta; busy time needs the nominal days apart (RFC 5545
    # 3.3.6): DURATION, RDATE periods and FREEBUSY periods all keep them, and the value is icalendar's.
    calendar = parse_calendars(
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTART:20260307T120000\r\nDURATION:PT24H\r\n"
        "RDATE;VALUE=PERIOD:20260308T000000/P1DT2H,20260309T000000/PT26H,20260310T000000/20260311T000000\r\n"
        "END:VEVENT\r\nBEGIN:VFREEBUSY\r\nFREEBUSY:20260307T000000Z/P1W,20260307T000000Z/PT3H\r\n"
        "END:VFREEBUSY\r\nEND:VCALENDAR\r\n"
    )[0]
    event, freebusy = calendar.subcomponents
    duration = event["DURATION"].dt
    periods = [item.dt[1] for item in event["RDATE"].dts]
    fb = [prop.dt[1] for prop in freebusy["FREEBUSY"]]
    assert duration == timedelta(days=1)
    assert duration.nominal_days == 0
    assert [(p, getattr(p, "nominal_days", None)) for p in periods] == [
        (timedelta(days=1, hours=2), 1),
        (timedelta(hours=26), 0),
        (datetime(2026, 3, 11), None),  # an end, not a duration
    ]
    assert [(p, p.nominal_days) for p in fb] == [(timedelta(weeks=1), 7), (timedelta(hours=3), 0)]
