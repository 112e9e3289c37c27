"""Issue 9, item 4: a remote read is cancelled at the gathering deadline, not abandoned to run on.

Gathering stops waiting for a source after twice its timeout plus a second, and its owner becomes unknown. The
read itself used to go on in its worker thread: a hostile feed kept the process expanding for minutes after
the plan was printed. Now the calendar adapters check the deadline as they parse and expand, and stop.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from readout.adapters.casefile.loader import load_case
from readout.adapters.ics.reader import parse_busy
from readout.domain.case import BusyStatus
from readout.domain.intervals import Interval
from readout.domain.sources import CalendarSource, RemoteSource
from readout.services.gathering import gather
from readout.services.read_deadline import ReadAbandoned, check, run_before

ROOT = Path(__file__).resolve().parents[2]
GLOBEX = ROOT / "examples" / "globex-sso-outage" / "case.yaml"
FEED = (ROOT / "examples" / "globex-sso-outage" / "calendars" / "ravi.ics").read_bytes()
WINDOW = Interval(datetime(2026, 11, 12, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC))


def read(data: bytes = FEED) -> tuple[Interval, ...]:
    return parse_busy(
        data,
        source="https://feeds.example/ravi.ics",
        window=WINDOW,
        zone=ZoneInfo("UTC"),
        tentative_is_busy=True,
    )


def test_without_a_deadline_nothing_changes() -> None:
    check()
    assert read()


def test_a_read_past_its_deadline_stops_at_the_first_check() -> None:
    with pytest.raises(ReadAbandoned):
        run_before(time.monotonic() - 1, read)
    assert run_before(time.monotonic() + 60, read) == read()


class ExpandingReader:
    """A remote source that takes far longer to expand than gathering waits (here: the same feed parsed over
    and over for 30 s, as a feed of many thousand events would take); local files are read at once."""

    def __init__(self) -> None:
        self.finished = threading.Event()
        self.outcome: BaseException | None = None
        self.reads = 0

    def busy(self, source: CalendarSource, **_: object) -> tuple[Interval, ...]:
        if not isinstance(source, RemoteSource):
            return ()
        try:
            started = time.monotonic()
            while time.monotonic() - started < 30:
                read()
                self.reads += 1
            return ()
        except BaseException as error:
            self.outcome = error
            raise
        finally:
            self.finished.set()

    def blackouts(self, source: CalendarSource, *, window: Interval, zone: ZoneInfo) -> tuple[Interval, ...]:
        return ()


def test_a_read_still_running_when_gathering_gives_up_stops_soon_after() -> None:
    reader = ExpandingReader()
    loaded = load_case(GLOBEX)
    loaded = dataclasses.replace(
        loaded, calendars={**loaded.calendars, "ravi": RemoteSource("https://feeds.example/ravi.ics")}
    )
    found = gather(loaded, reader, WINDOW, timeout=0.05)
    gave_up = time.monotonic()
    assert found.people["ravi"].status is BusyStatus.UNKNOWN
    assert found.people["ravi"].error == "https://feeds.example/ravi.ics: no answer within 1.1s"
    # It was expanding when the wait ended, and stopped within moments instead of running on for 30 s.
    assert reader.finished.wait(10)
    assert time.monotonic() - gave_up < 5
    assert reader.reads > 0
    assert isinstance(reader.outcome, ReadAbandoned)
