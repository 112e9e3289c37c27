"""Issue 9, item 4: every input is bounded (docs/limits.md).

Files are read only when they are regular files within their byte limit; case and users files are bounded in
values and nesting; calendars in the occurrences and rule steps they take to expand near the planning window.
Each test feeds an input that used to take minutes or gigabytes, and checks the work done (dateutil's
iterations counted, memory traced), not the wall clock. Inputs are generated here, never committed.
"""

from __future__ import annotations

import os
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import _iterinfo, rrule

from readout.adapters import input_limits
from readout.adapters.casefile import document as casefile_document
from readout.adapters.casefile.loader import load_case
from readout.adapters.casefile.users import load_users
from readout.adapters.ics import budget as ics_budget
from readout.adapters.ics import rrule as ics_rrule
from readout.adapters.ics.reader import parse_busy, read_busy
from readout.domain.intervals import Interval
from readout.errors import CalendarError, CaseFileError

_T = TypeVar("_T")
WINDOW = Interval(datetime(2026, 11, 11, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC))
UTC_ZONE = ZoneInfo("UTC")


def calendar(*rules: str, start: str = "19000101T000000Z", length: str = "PT1M") -> bytes:
    """A calendar of one event per rule, each from ``start``: event N starts on line 4 + 7N, its RRULE is on
    line 9 + 7N."""
    events = "".join(
        f"BEGIN:VEVENT\r\nUID:e{n}@readout.test\r\nDTSTAMP:20261001T000000Z\r\nDTSTART:{start}\r\n"
        f"DURATION:{length}\r\nRRULE:{rule}\r\nEND:VEVENT\r\n"
        for n, rule in enumerate(rules)
    )
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Readout tests//budgets//EN\r\n{events}END:VCALENDAR\r\n".encode()


def busy(data: bytes, window: Interval = WINDOW) -> tuple[Interval, ...]:
    return parse_busy(data, source="budget.ics", window=window, zone=UTC_ZONE, tentative_is_busy=True)


def refused(data: bytes, window: Interval = WINDOW) -> str:
    with pytest.raises(CalendarError) as caught:
        busy(data, window)
    assert caught.value.source == "budget.ics"
    return caught.value.detail


class Walked:
    """Counts the occurrences dateutil generates (its work), and stops a walk that would run for minutes."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, most: int = 2_000_000) -> None:
        self.count = 0
        original = rrule._iter

        def counting(rule: rrule) -> Iterator[datetime]:
            for moment in original(rule):
                self.count += 1
                if self.count > most:
                    raise AssertionError(f"dateutil walked more than {most:,} occurrences")
                yield moment

        monkeypatch.setattr(rrule, "_iter", counting)


def peak_bytes(call: Callable[[], object]) -> int:
    """The most memory Python allocated while ``call`` ran (an exception it raises counts as its end)."""
    tracemalloc.start()
    try:
        call()
    except (CaseFileError, CalendarError):
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def within(seconds: float, call: Callable[[], _T], unblock: Path | None = None) -> _T:
    """``call()`` run in a thread that must finish within ``seconds`` (a blocked open of a FIFO would not);
    on failure a writer opens ``unblock`` so the stuck thread ends too."""
    outcome: list[_T | BaseException] = []

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as error:  # handed to the test below
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        if unblock is not None:
            os.close(os.open(unblock, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail(f"still running after {seconds} s")
    [result] = outcome
    if isinstance(result, BaseException):
        raise result
    return result


# --- files ------------------------------------------------------------------------------------------------


def case_refusal(path: Path) -> str:
    with pytest.raises(CaseFileError) as caught:
        load_case(path)
    assert str(caught.value).startswith(f"{path}: ")
    return caught.value.expected


def test_a_fifo_case_file_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "case.yaml"
    os.mkfifo(fifo)
    message = within(10, lambda: case_refusal(fifo), unblock=fifo)
    assert message == "is a named pipe (FIFO), not a regular file"


def test_a_case_file_over_its_byte_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text("version: 1\n" + "#" * (input_limits.CASE_FILE_MAX_BYTES - 11) + "\n")
    assert case_refusal(path) == "is 1,000,001 bytes; expected at most 1,000,000 bytes (see docs/limits.md)"
    assert peak_bytes(lambda: load_case(path)) < 200_000


def test_a_case_file_with_too_many_values_stops_the_parser_at_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(casefile_document, "CASE_FILE_MAX_VALUES", 1_000)
    path = tmp_path / "case.yaml"
    path.write_text(
        "version: 1\nescalation: {id: E}\noptional_attendees: [" + ",".join(["k"] * 50_000) + "]\n"
    )
    assert (
        case_refusal(path)
        == "line 3: more than 1,000 values; expected at most that many (see docs/limits.md)"
    )
    # The parser stopped at the limit: 50,000 values would have taken several megabytes.
    assert peak_bytes(lambda: load_case(path)) < 2_000_000


def test_the_default_value_limit_is_enforced(tmp_path: Path) -> None:
    path = tmp_path / "case.json"  # JSON: parsed in C, then counted
    path.write_text('{"version": 1, "optional_attendees": [' + ",".join(['"k"'] * 100_000) + "]}")
    assert case_refusal(path) == "more than 100,000 values; expected at most that many (see docs/limits.md)"


def test_yaml_aliases_are_counted_as_often_as_they_are_used(tmp_path: Path) -> None:
    # Ten levels of ten aliases: 10**9 values once expanded, which validation would walk one by one.
    lines = ["version: 1", "a0: &a0 [k, k, k, k, k, k, k, k, k, k]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 10)]
    path = tmp_path / "case.yaml"
    path.write_text("\n".join([*lines, "optional_attendees: *a9", ""]))
    assert case_refusal(path) == "more than 100,000 values; expected at most that many (see docs/limits.md)"


@pytest.mark.parametrize("name", ["case.yaml", "case.json"])
def test_nesting_is_bounded_in_yaml_and_json(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("[" * 60 + "]" * 60)
    assert "nested more than 50 deep; expected at most that (see docs/limits.md)" in case_refusal(path)


def test_a_case_file_that_is_a_directory_is_refused(tmp_path: Path) -> None:
    assert case_refusal(tmp_path) == "is a directory, not a regular file"


def test_the_users_file_has_the_same_limits(tmp_path: Path) -> None:
    fifo, large, deep = tmp_path / "fifo.yaml", tmp_path / "large.yaml", tmp_path / "deep.yaml"
    os.mkfifo(fifo)
    large.write_text("users: []\n" + "#" * input_limits.CASE_FILE_MAX_BYTES)
    deep.write_text("users: " + "[" * 5000)
    expected = {
        fifo: "is a named pipe (FIFO), not a regular file",
        large: "is 1,000,010 bytes; expected at most 1,000,000 bytes (see docs/limits.md)",
        deep: "line 1: nested more than 50 deep; expected at most that (see docs/limits.md)",
    }
    for path, message in expected.items():
        with pytest.raises(CaseFileError) as caught:
            within(10, lambda path=path: load_users(path), unblock=path if path == fifo else None)
        assert str(caught.value) == f"{path}: {message}"


def test_a_local_calendar_over_its_byte_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "big.ics"
    with path.open("wb") as file:
        file.truncate(input_limits.CALENDAR_FILE_MAX_BYTES + 1)

    def read() -> object:
        return read_busy(path, window=WINDOW, zone=UTC_ZONE, tentative_is_busy=True)

    with pytest.raises(CalendarError) as caught:
        read()
    assert caught.value.detail == "is 5,000,001 bytes; expected at most 5,000,000 bytes (see docs/limits.md)"
    assert peak_bytes(read) < 200_000


def test_a_fifo_calendar_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "calendar.ics"
    os.mkfifo(fifo)
    with pytest.raises(CalendarError) as caught:
        within(10, lambda: read_busy(fifo, window=WINDOW, zone=UTC_ZONE, tentative_is_busy=True), fifo)
    assert caught.value.detail == "is a named pipe (FIFO), not a regular file"


def test_a_calendar_file_may_be_exactly_at_its_limit(tmp_path: Path) -> None:
    meeting = calendar("FREQ=DAILY;COUNT=1", start="20261112T090000Z", length="PT1H")
    head, tail = meeting.split(b"END:VEVENT")
    room = input_limits.CALENDAR_FILE_MAX_BYTES - len(meeting)
    lines, rest = divmod(room, 100)
    if rest < 12:
        lines, rest = lines - 1, rest + 100
    filler = (b"X-FILLER:" + b"x" * 89 + b"\r\n") * lines + b"X-FILLER:" + b"x" * (rest - 11) + b"\r\n"
    path = tmp_path / "full.ics"
    path.write_bytes(head + filler + b"END:VEVENT" + tail)
    assert path.stat().st_size == input_limits.CALENDAR_FILE_MAX_BYTES
    found = read_busy(path, window=WINDOW, zone=UTC_ZONE, tentative_is_busy=True)
    assert found == (Interval(datetime(2026, 11, 12, 9, tzinfo=UTC), datetime(2026, 11, 12, 10, tzinfo=UTC)),)


# --- recurrence ----------------------------------------------------------------------------------------------


def test_a_minutely_count_rule_from_1900_is_counted_not_walked(monkeypatch: pytest.MonkeyPatch) -> None:
    walked = Walked(monkeypatch)
    # 100,000,000 minutes from 1900 run to 2090: every minute of the window is busy.
    assert busy(calendar("FREQ=MINUTELY;COUNT=100000000")) == (WINDOW,)
    assert walked.count < 20_000  # the window and its margins (about 18,700 minutes), not 66 million
    # With seconds and an interval, each period still holds as many (two): still countable, and in phase.
    walked.count = 0
    found = busy(calendar("FREQ=MINUTELY;INTERVAL=3;BYSECOND=0,30;COUNT=100000000"))
    assert len(found) == 9 * 24 * 20  # nine days of 00:00-00:01:30, 00:03-00:04:30...
    assert found[0] == Interval(WINDOW.start, datetime(2026, 11, 11, 0, 1, 30, tzinfo=UTC))
    assert walked.count < 20_000


def test_a_secondly_count_rule_from_1900_that_ended_in_1900_costs_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    walked = Walked(monkeypatch)
    assert busy(calendar("FREQ=SECONDLY;COUNT=10000000")) == ()  # ten million seconds: 116 days of 1900
    assert walked.count < 10


def test_an_until_long_past_is_not_expanded_near_the_window(monkeypatch: pytest.MonkeyPatch) -> None:
    walked = Walked(monkeypatch)
    assert busy(calendar("FREQ=SECONDLY;UNTIL=19000105T000000Z")) == ()
    assert walked.count < 10


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=MINUTELY;BYHOUR=9;COUNT=100000000",  # an hour filter: minutes are not countable per period
        "FREQ=SECONDLY;BYHOUR=9;BYMINUTE=0;COUNT=100000000",
        "FREQ=HOURLY;BYDAY=MO;COUNT=100000000",
    ],
)
def test_a_count_rule_that_would_be_walked_from_1900_is_refused_within_its_steps(
    monkeypatch: pytest.MonkeyPatch, rule: str
) -> None:
    walked = Walked(monkeypatch)
    detail = refused(calendar(rule))
    assert detail == (
        "line 9 (in the VEVENT starting at line 4): RRULE takes more than 200,000 steps to expand "
        "(see docs/limits.md)"
    )
    assert walked.count <= input_limits.RULE_STEPS + 1


def test_an_event_recurring_more_often_than_the_limit_in_the_window_is_refused() -> None:
    three_weeks = Interval(datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC))
    detail = refused(calendar("FREQ=MINUTELY", start="20261101T000000Z"), window=three_weeks)
    assert detail == (
        "line 9 (in the VEVENT starting at line 4): RRULE has more than 20,000 occurrences in the window "
        "(see docs/limits.md)"
    )


def test_a_calendar_with_more_occurrences_than_its_limit_is_refused() -> None:
    # Every other minute for nine days and the margins: about 9,400 starts each; twelve events pass 100,000.
    detail = refused(calendar(*["FREQ=MINUTELY;INTERVAL=2"] * 12, start="20261101T000000Z"))
    assert detail == (
        "the VEVENT at line 74: the calendar has more than 100,000 occurrences in and near the planning window "
        "(see docs/limits.md)"
    )


def test_the_steps_of_all_rules_of_a_calendar_are_bounded_together(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ics_budget, "RULE_STEPS_PER_CALENDAR", 500_000)
    walked = Walked(monkeypatch)
    # A DAILY COUNT rule with a day filter cannot be counted: each is walked from 1900, about 105,000 steps
    # (46,000 days and 6,600 Mondays); the fifth passes the limit and the other five are never walked.
    detail = refused(calendar(*["FREQ=DAILY;BYDAY=MO;COUNT=100000000"] * 10))
    assert detail == (
        "the VEVENT at line 32: the calendar's recurrence rules take more than 500,000 steps to expand "
        "(see docs/limits.md)"
    )
    assert walked.count < 5 * 7_000


def test_contradicting_day_filters_are_found_out_within_one_400_year_cycle(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    years = 0
    rebuild = _iterinfo.rebuild

    def counting(info: _iterinfo, year: int, month: int) -> None:
        nonlocal years
        years += 1
        rebuild(info, year, month)

    monkeypatch.setattr(_iterinfo, "rebuild", counting)
    ics_rrule._years_to_first_match.cache_clear()
    # February 30th: dateutil would look for one until the year 9999, a year (every day of it) at a time.
    assert busy(calendar("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30")) == ()
    assert years < 1_000  # one cycle of 400 years, once; not 8,000 years for each rule
