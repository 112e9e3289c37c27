"""Gathering free/busy: concurrent, bounded by a per-source timeout, and failing closed."""

from __future__ import annotations

import dataclasses
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from readout.adapters.casefile.loader import load_case
from readout.adapters.ics.files import IcsFileReader
from readout.domain.case import BusyStatus
from readout.domain.case_document import LoadedCase
from readout.domain.intervals import Interval
from readout.domain.sources import CalendarSource, RemoteSource
from readout.errors import CalendarError, CaseFileError, SourceUnavailable
from readout.services.gathering import gather

ROOT = Path(__file__).resolve().parents[2]
GLOBEX = ROOT / "examples" / "globex-sso-outage" / "case.yaml"
WINDOW = Interval(datetime(2026, 11, 12, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC))
BUSY = (Interval(datetime(2026, 11, 17, 18, tzinfo=UTC), datetime(2026, 11, 17, 19, tzinfo=UTC)),)


class ScriptedReader:
    """Answers per calendar file name: 'slow' hangs, 'down' fails, 'broken' is a bad local file."""

    def __init__(self, script: dict[str, str]) -> None:
        self.script = script
        self.release = threading.Event()
        self.running = 0
        self.most_at_once = 0
        self.lock = threading.Lock()

    def _answer(self, source: CalendarSource) -> tuple[Interval, ...]:
        name = source.url.rsplit("/", 1)[-1] if isinstance(source, RemoteSource) else source.name
        with self.lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            time.sleep(0.2)
            action = self.script.get(name, "ok")
            if action == "slow":
                self.release.wait(30)
            if action == "down":
                raise SourceUnavailable(name, "connection refused")
            if action == "broken":
                raise CalendarError(name, "not a valid iCalendar file")
            return BUSY
        finally:
            with self.lock:
                self.running -= 1

    def busy(self, source: CalendarSource, **_: object) -> tuple[Interval, ...]:
        return self._answer(source)

    def blackouts(self, source: CalendarSource, *, window: Interval, zone: ZoneInfo) -> tuple[Interval, ...]:
        return self._answer(source)


def remote(loaded: LoadedCase, pid: str, name: str) -> LoadedCase:
    calendars = {**loaded.calendars, pid: RemoteSource(f"https://user:secret@dav.example/{name}")}
    return dataclasses.replace(loaded, calendars=calendars)


def all_remote(loaded: LoadedCase) -> LoadedCase:
    for pid in list(loaded.calendars):
        loaded = remote(loaded, pid, f"{pid}.ics")
    return loaded


def test_remote_sources_are_read_concurrently() -> None:
    reader = ScriptedReader({})
    started = time.monotonic()
    found = gather(all_remote(load_case(GLOBEX)), reader, WINDOW, timeout=5)
    assert reader.most_at_once >= 5  # dana, ravi, mei, sam and ana at once
    assert time.monotonic() - started < 1.0  # not 6 x 0.2 s
    assert found.people["ravi"].busy == BUSY


def test_local_files_are_never_unknown_however_long_they_take() -> None:
    reader = ScriptedReader({})  # every read takes 0.2 s, far beyond the timeout
    found = gather(load_case(GLOBEX), reader, WINDOW, timeout=0.05)
    assert {p: a.status for p, a in found.people.items()} == dict.fromkeys(
        ["dana", "ravi", "mei", "sam"], BusyStatus.KNOWN
    )


def test_a_slow_source_makes_its_owner_unknown_within_the_timeout() -> None:
    reader = ScriptedReader({"ravi.ics": "slow"})
    loaded = remote(load_case(GLOBEX), "ravi", "ravi.ics")
    started = time.monotonic()
    try:
        found = gather(loaded, reader, WINDOW, timeout=0.3)
    finally:
        reader.release.set()
    assert time.monotonic() - started < 3.0  # the safety net: twice the timeout plus a second, then unknown
    ravi = found.people["ravi"]
    assert ravi.status is BusyStatus.UNKNOWN
    assert ravi.error == "https://dav.example/ravi.ics: no answer within 1.6s"  # no credentials shown
    assert found.people["dana"].status is BusyStatus.KNOWN


def test_a_failing_remote_source_makes_its_owner_unknown_with_the_reason() -> None:
    reader = ScriptedReader({"mei.ics": "down"})
    loaded = remote(load_case(GLOBEX), "mei", "mei.ics")
    found = gather(loaded, reader, WINDOW, timeout=5)
    assert found.people["mei"].status is BusyStatus.UNKNOWN
    assert found.people["mei"].error == "mei.ics: connection refused"


def test_an_unreadable_remote_cab_calendar_blacks_out_the_whole_window() -> None:
    reader = ScriptedReader({"cab.ics": "down"})
    loaded = load_case(GLOBEX)
    loaded = dataclasses.replace(loaded, blackout_calendars=(RemoteSource("https://cab.example/cab.ics"),))
    found = gather(loaded, reader, WINDOW, timeout=5)
    assert found.blackouts == (WINDOW,)
    assert [(u.id, u.role) for u in found.unreadable] == [("customer", "cab_blackouts")]
    assert found.blackout_labels == (
        "calendar https://cab.example/cab.ics (unreadable: taken as blacked out)",
    )


def test_each_block_read_from_a_blackout_calendar_is_labelled_with_its_calendar() -> None:
    found = gather(load_case(GLOBEX), IcsFileReader(), WINDOW, timeout=5)

    assert found.blackouts, "the Globex CAB calendar has blocks in the window"
    assert found.blackout_labels == ("calendar globex-cab.ics",) * len(found.blackouts)


def test_a_broken_local_file_is_invalid_input_naming_the_field() -> None:
    reader = ScriptedReader({"dana.ics": "broken"})
    with pytest.raises(CaseFileError) as raised:
        gather(load_case(GLOBEX), reader, WINDOW, timeout=5)
    assert raised.value.field == "people.dana.calendar"


def test_a_blackout_calendar_with_a_note_is_named_by_its_note() -> None:
    loaded = dataclasses.replace(load_case(GLOBEX), blackout_notes=("quarter-end freeze",))

    found = gather(loaded, IcsFileReader(), WINDOW, timeout=5)

    assert found.blackouts
    assert set(found.blackout_labels) == {"quarter-end freeze"}
