"""The in-memory calendar cache (adapters/ics/cache.py): a long-running process does not parse a calendar whose
bytes did not change, and the cached answer is always the uncached one."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import readout.adapters.ics.reader as reader_module
from readout.adapters.ics.cache import BusyCache, clip, covering, shared_cache
from readout.adapters.ics.parser import parse_calendars
from readout.adapters.ics.reader import parse_blackouts, parse_busy, read_blackouts, read_busy
from readout.domain.intervals import Interval, intersect, merge
from readout.errors import CalendarError

CALENDARS = Path(__file__).resolve().parents[2] / "calendars"
ZONES = (ZoneInfo("America/Chicago"), ZoneInfo("Asia/Kolkata"), ZoneInfo("Europe/Berlin"), ZoneInfo("UTC"))
FIXTURES = sorted(path.name for path in CALENDARS.glob("*.ics"))
BASE = datetime(2026, 10, 20, tzinfo=UTC)

WEEKLY = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//cache//EN\r
BEGIN:VEVENT\r
UID:weekly@test\r
DTSTART;TZID=America/Chicago:20261102T090000\r
DTEND;TZID=America/Chicago:20261102T100000\r
RRULE:FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:maybe@test\r
DTSTART:20261104T200000Z\r
DTEND:20261104T210000Z\r
STATUS:TENTATIVE\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:free@test\r
DTSTART:20261105T200000Z\r
DTEND:20261105T210000Z\r
TRANSP:TRANSPARENT\r
END:VEVENT\r
END:VCALENDAR\r
"""
WINDOW = Interval(datetime(2026, 11, 2, 7, 13, tzinfo=UTC), datetime(2026, 11, 9, 17, 41, tzinfo=UTC))


def outcome(call: object) -> tuple[str, object]:
    """A read's answer or its refusal, comparable."""
    assert callable(call)
    try:
        return "ok", call()
    except CalendarError as error:
        return "refused", (error.source, error.detail)


windows = st.builds(
    lambda start, minutes: Interval(
        BASE + timedelta(minutes=start), BASE + timedelta(minutes=start + minutes)
    ),
    st.integers(min_value=0, max_value=60 * 24 * 40),
    st.integers(min_value=0, max_value=60 * 24 * 30),
)
# Reads that share a covering span often: the clock moving within a day, the same deadline.
nearby = st.builds(
    lambda day, start, end: Interval(
        BASE + timedelta(days=day, minutes=start), BASE + timedelta(days=day + 20, minutes=end)
    ),
    st.sampled_from((0, 14, 16)),
    st.integers(min_value=0, max_value=60 * 24 - 1),
    st.sampled_from((0, 1, 600)),
)
reads = st.tuples(
    st.one_of(windows, nearby),
    st.sampled_from(ZONES),
    st.booleans(),
    st.sampled_from((None, "ESC-48213", "ESC-50001")),
    st.booleans(),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(FIXTURES), sequence=st.lists(reads, min_size=1, max_size=6))
def test_cached_reads_equal_uncached_reads_for_any_window(
    name: str, sequence: list[tuple[Interval, ZoneInfo, bool, str | None, bool]]
) -> None:
    path = CALENDARS / name
    cache = BusyCache()  # one per example, shared by its reads: later reads meet the entries of earlier ones
    for window, zone, tentative, exclude, blackouts in sequence:

        def read(
            with_cache: BusyCache | None,
            window: Interval = window,
            zone: ZoneInfo = zone,
            tentative: bool = tentative,
            exclude: str | None = exclude,
            blackouts: bool = blackouts,
        ) -> tuple[Interval, ...]:
            if blackouts:
                return read_blackouts(path, window=window, zone=zone, cache=with_cache)
            return read_busy(
                path,
                window=window,
                zone=zone,
                tentative_is_busy=tentative,
                exclude_escalation=exclude,
                cache=with_cache,
            )

        expected = outcome(lambda: read(None))
        assert outcome(lambda: read(cache)) == expected
        assert outcome(lambda: read(cache)) == expected  # from memory, when it could be kept


def test_a_window_moved_within_the_day_is_answered_without_parsing_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parses: list[int] = []
    real = parse_calendars

    def counted(text: str) -> object:
        parses.append(1)
        return real(text)

    monkeypatch.setattr(reader_module, "parse_calendars", counted)
    cache = BusyCache()
    first = parse_busy(
        WEEKLY, source="a.ics", window=WINDOW, zone=ZONES[0], tentative_is_busy=True, cache=cache
    )
    later = Interval(WINDOW.start + timedelta(hours=7), WINDOW.end)  # the clock moved on, into a meeting
    again = parse_busy(
        WEEKLY, source="a.ics", window=later, zone=ZONES[0], tentative_is_busy=True, cache=cache
    )
    assert len(parses) == 1
    assert cache.hits == 1
    assert again == parse_busy(
        WEEKLY, source="a.ics", window=later, zone=ZONES[0], tentative_is_busy=True, cache=None
    )
    assert first == parse_busy(
        WEEKLY, source="a.ics", window=WINDOW, zone=ZONES[0], tentative_is_busy=True, cache=None
    )


def test_a_changed_file_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "busy.ics"
    path.write_bytes(WEEKLY)
    cache = BusyCache()
    before = read_busy(path, window=WINDOW, zone=ZONES[0], tentative_is_busy=True, cache=cache)
    path.write_bytes(WEEKLY.replace(b"BYDAY=MO,TU,WE,TH,FR", b"BYDAY=MO"))  # same size class, other content
    after = read_busy(path, window=WINDOW, zone=ZONES[0], tentative_is_busy=True, cache=cache)
    assert len(before) > len(after)
    assert after == read_busy(path, window=WINDOW, zone=ZONES[0], tentative_is_busy=True, cache=None)
    assert cache.misses == 2


def test_every_parameter_that_changes_the_answer_is_part_of_the_key() -> None:
    cache = BusyCache()

    def busy(*, zone: ZoneInfo = ZONES[0], tentative: bool = True, exclude: str | None = None) -> object:
        return parse_busy(
            WEEKLY,
            source="a.ics",
            window=WINDOW,
            zone=zone,
            tentative_is_busy=tentative,
            exclude_escalation=exclude,
            cache=cache,
        )

    with_tentative, without = busy(), busy(tentative=False)
    blackouts = parse_blackouts(WEEKLY, source="a.ics", window=WINDOW, zone=ZONES[0], cache=cache)
    assert with_tentative != without
    assert blackouts != with_tentative  # the transparent event is a blackout, not busy time
    floating = WEEKLY.replace(b"DTSTART;TZID=America/Chicago:", b"DTSTART:").replace(
        b"DTEND;TZID=America/Chicago:", b"DTEND:"
    )
    in_chicago = parse_busy(
        floating, source="f", window=WINDOW, zone=ZONES[0], tentative_is_busy=True, cache=cache
    )
    in_kolkata = parse_busy(
        floating, source="f", window=WINDOW, zone=ZONES[1], tentative_is_busy=True, cache=cache
    )
    assert in_chicago != in_kolkata  # floating times are the owner's
    assert cache.hits == 0


def test_memory_stays_within_both_bounds() -> None:
    cache = BusyCache(max_entries=3, max_intervals=12)
    for day in range(6):
        window = Interval(WINDOW.start + timedelta(days=day), WINDOW.end + timedelta(days=day))
        parse_busy(WEEKLY, source="a.ics", window=window, zone=ZONES[0], tentative_is_busy=True, cache=cache)
        assert len(cache) <= 3
        assert cache.intervals <= 12
    assert len(cache) >= 1
    tiny = BusyCache(max_entries=10, max_intervals=2)  # an answer larger than the bound is not kept
    answer = parse_busy(
        WEEKLY, source="a.ics", window=WINDOW, zone=ZONES[0], tentative_is_busy=True, cache=tiny
    )
    assert len(answer) > 2
    assert len(tiny) == 0


def test_concurrent_readers_all_get_the_uncached_answer() -> None:
    cache = BusyCache(max_entries=4, max_intervals=1_000)
    expected = {
        hours: parse_busy(
            WEEKLY,
            source="a.ics",
            window=Interval(WINDOW.start + timedelta(hours=hours), WINDOW.end),
            zone=ZONES[0],
            tentative_is_busy=True,
            cache=None,
        )
        for hours in range(0, 72, 6)
    }
    failures: list[str] = []
    start = threading.Barrier(20)

    def client(n: int) -> None:
        start.wait()
        for round_ in range(10):
            hours = list(expected)[(n + round_) % len(expected)]
            window = Interval(WINDOW.start + timedelta(hours=hours), WINDOW.end)
            got = parse_busy(
                WEEKLY, source="a.ics", window=window, zone=ZONES[0], tentative_is_busy=True, cache=cache
            )
            if got != expected[hours]:
                failures.append(f"{n}/{hours}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(cache) <= 4
    assert cache.intervals == sum(len(v) for v in cache._entries.values())


def test_a_refused_calendar_is_refused_every_time_and_never_kept() -> None:
    cache = BusyCache()
    for _ in range(2):
        with pytest.raises(CalendarError):
            read_busy(
                CALENDARS / "malformed-bad-rrule.ics",
                window=WINDOW,
                zone=ZONES[0],
                tentative_is_busy=True,
                cache=cache,
            )
    assert len(cache) == 0


def test_the_covering_span_is_whole_utc_days() -> None:
    assert covering(WINDOW) == Interval(datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 10, tzinfo=UTC))
    whole = Interval(datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC))
    assert covering(whole) == whole


def test_production_reads_go_through_one_shared_cache() -> None:
    shared = shared_cache()
    before = shared.hits
    for _ in range(2):
        parse_busy(WEEKLY, source="a.ics", window=WINDOW, zone=ZONES[2], tentative_is_busy=False)
    assert shared.hits >= before + 1


@settings(max_examples=500, deadline=None)
@given(
    bounds=st.lists(st.integers(min_value=0, max_value=200), min_size=0, max_size=20, unique=True),
    start=st.integers(min_value=-10, max_value=210),
    length=st.integers(min_value=0, max_value=120),
)
def test_clipping_a_kept_answer_equals_intersecting_it(bounds: list[int], start: int, length: int) -> None:
    def at(minute: int) -> datetime:
        return BASE + timedelta(minutes=minute)

    points = sorted(bounds)[: len(bounds) // 2 * 2]
    merged = merge(Interval(at(a), at(b)) for a, b in zip(points[::2], points[1::2], strict=True))
    window = Interval(at(start), at(start + length))
    assert clip(tuple(merged), window) == tuple(intersect(merged, [window]))
