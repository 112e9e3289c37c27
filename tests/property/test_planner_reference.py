"""The planner against a minute-by-minute reference checker (``reference.py``), on small random cases.

Cases are small (1-3 business days, short slots) so the brute force stays fast; they lean on the hard parts:
DST transitions (1 h, 30 min at Lord Howe, at midnight in Santiago, Havana and Cairo), +05:45 and +12:45 zones,
windows in gap hours, windows past midnight and ending at 24:00, holidays, unknown calendars and roles.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from readout.domain.case import (
    Availability,
    Blackouts,
    Case,
    Coverage,
    HolidaySet,
    Interpreter,
    MeetingHours,
    Person,
    Readout,
)
from readout.domain.intervals import Interval
from readout.domain.plan import Plan
from readout.domain.planner import plan
from readout.domain.weekly import WeeklyWindows, parse_weekly

from .reference import (
    ROLES,
    BlockSpec,
    BusySpec,
    InterpreterSpec,
    PersonSpec,
    RefPlan,
    Scenario,
    WeeklySpec,
    reference_plan,
)

ZONES = (
    "America/Chicago",
    "America/New_York",
    "Europe/London",
    "Europe/Berlin",
    "America/Mexico_City",
    "Australia/Sydney",
    "Australia/Lord_Howe",  # 30-minute DST
    "Asia/Kolkata",
    "Asia/Kathmandu",  # +05:45
    "Pacific/Chatham",  # +12:45 / +13:45
    "America/Santiago",  # DST at local midnight
    "America/Havana",  # DST at local midnight
    "Africa/Cairo",  # DST at midnight on a business day (Friday)
    "UTC",
)
# Local dates of the 2026 DST transitions of the zones above, and the zones that change clocks then.
TRANSITIONS = {
    date(2026, 3, 8): ("America/Chicago", "America/New_York", "America/Havana"),
    date(2026, 3, 29): ("Europe/London", "Europe/Berlin"),
    date(2026, 4, 5): ("Australia/Sydney", "Australia/Lord_Howe", "Pacific/Chatham", "America/Santiago"),
    date(2026, 4, 24): ("Africa/Cairo",),  # Fri 00:00 -> 01:00
    date(2026, 9, 6): ("America/Santiago",),
    date(2026, 9, 27): ("Pacific/Chatham",),
    date(2026, 10, 4): ("Australia/Sydney", "Australia/Lord_Howe"),
    date(2026, 10, 25): ("Europe/London", "Europe/Berlin"),
    date(2026, 10, 29): ("Africa/Cairo",),  # Thu 24:00 -> 23:00
    date(2026, 11, 1): ("America/Chicago", "America/New_York", "America/Havana"),
}
DAY_KEYS = ("mon-fri", "daily", "sat,sun", "mon", "tue-thu", "fri", "sun", "mon,wed,fri")
NAMED_WINDOWS = (
    "00:00-24:00",
    "08:00-18:00",
    "07:00-19:00",
    "09:00-17:00",
    "06:00-22:00",
    "02:00-03:00",  # US / EU spring-forward gap
    "02:30-03:00",
    "02:45-03:45",  # Chatham gap
    "02:15-02:45",  # Lord Howe gap
    "00:00-01:00",  # Santiago / Havana gap
    "01:00-02:00",  # fall-back repeated hour
    "22:00-06:00",  # past midnight
    "18:00-02:00",
    "23:00-24:00",
    "00:00-00:00",  # end at start: the whole day
    "12:00-12:00",
    "01:30-01:00",
    "17:30-18:30",
)
CUSTOMER = "globex"
T = TypeVar("T")


# --- strategies -------------------------------------------------------------------------------------------


def _hhmm(hour: int, minute: int) -> str:
    return f"{hour:02d}:{minute:02d}"


@st.composite
def window_texts(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        return draw(st.sampled_from(NAMED_WINDOWS))
    minutes = st.one_of(st.sampled_from((0, 15, 30, 45)), st.integers(0, 59))
    sh, sm = draw(st.integers(0, 23)), draw(minutes)
    eh = draw(st.integers(0, 24))
    em = 0 if eh == 24 else draw(minutes)
    return f"{_hhmm(sh, sm)}-{_hhmm(eh, em)}"


def weekly_specs(zone: st.SearchStrategy[str]) -> st.SearchStrategy[WeeklySpec]:
    day = st.tuples(st.sampled_from(DAY_KEYS), st.lists(window_texts(), min_size=1, max_size=2).map(tuple))
    windows = st.lists(day, min_size=1, max_size=3, unique_by=lambda kv: kv[0]).map(tuple)
    return st.builds(WeeklySpec, zone, windows)


def chance(one_in: int) -> st.SearchStrategy[bool]:
    """True about one time in ``one_in``; hypothesis favours the simplest draw (index 0), so that is False."""
    return st.sampled_from(range(one_in)).map(lambda k: k == one_in - 1)


def sometimes(strategy: st.SearchStrategy[T], one_in: int) -> st.SearchStrategy[T | None]:
    """A value of ``strategy`` one time in ``one_in``, else None."""
    return chance(one_in).flatmap(lambda hit: strategy if hit else st.none())


@st.composite
def instants(draw: st.DrawFn) -> tuple[datetime, tuple[str, ...]]:
    """An approval instant, often in the days before a DST transition, and the zones changing clocks then."""
    hot: tuple[str, ...] = ()
    if not draw(chance(3)):
        transition = draw(st.sampled_from(sorted(TRANSITIONS)))
        hot = TRANSITIONS[transition]
        day = transition - timedelta(days=draw(st.integers(0, 5)))
    else:
        day = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 364)))
    moment = datetime.combine(day, time(0), UTC) + timedelta(minutes=draw(st.integers(0, 1439)))
    if draw(chance(5)):
        moment += timedelta(seconds=draw(st.integers(1, 59)))
    return moment.astimezone(ZoneInfo(draw(st.sampled_from(ZONES)))), hot  # aware, any offset


def blocks(base: datetime) -> st.SearchStrategy[BlockSpec]:
    """Blocks near ``base`` (the approval): minute-aligned, sometimes with seconds, sometimes empty."""

    @st.composite
    def block(draw: st.DrawFn) -> BlockSpec:
        # Arithmetic in UTC: aware local datetimes add wall-clock time, so a block across a DST gap
        # (Santiago's midnight change) could otherwise end before it starts.
        start = base.astimezone(UTC) + timedelta(minutes=draw(st.integers(-1440, 7 * 1440)))
        end = start + timedelta(minutes=draw(st.sampled_from((0, 15, 30, 60, 90, 240))))
        if draw(chance(6)):
            end += timedelta(minutes=draw(st.integers(0, 600)), seconds=draw(st.integers(0, 59)))
            start += timedelta(seconds=draw(st.integers(0, 59)))
            end = max(start, end)
        return BlockSpec(start, end)

    return block()


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    approved, hot = draw(instants())
    base = approved.replace(second=0, microsecond=0)
    # Near a transition, half the zones drawn are ones whose clocks change then.
    zones = st.sampled_from(ZONES) | st.sampled_from(hot) if hot else st.sampled_from(ZONES)
    near_days = st.integers(-1, 8).map(lambda k: approved.date() + timedelta(days=k))
    holidays = st.frozensets(near_days, max_size=3)
    customer_zone = draw(zones)

    people = []
    for i in range(draw(st.integers(4, 6))):
        zone = draw(zones)
        people.append(
            PersonSpec(
                id=f"p{i}",
                zone=zone,
                availability=draw(sometimes(weekly_specs(st.just(zone)), one_in=4)),
                protected=(w,) if (w := draw(sometimes(weekly_specs(st.just(zone) | zones), 3))) else (),
                has_calendar=draw(st.booleans()),
                busy=draw(_busy(base)),
            )
        )
    ids = [p.id for p in people]
    # A role is unassigned or names an unknown person now and then (about one case in eight).
    holder = st.sampled_from(range(64)).flatmap(
        lambda k: st.just(None if k == 62 else "ghost") if k > 61 else st.sampled_from(ids)
    )
    interpreters = [
        InterpreterSpec(
            id=f"i{i}",
            zone=(zone := draw(zones)),
            languages=tuple(draw(st.lists(st.sampled_from(("es", "fr", "de")), min_size=1, unique=True))),
            approved_for=tuple(draw(st.lists(st.sampled_from((CUSTOMER, "initech", "*")), unique=True))),
            availability=draw(st.none() | weekly_specs(st.just(zone))),
            has_calendar=draw(st.booleans()),
            busy=draw(_busy(base)),
        )
        for i in range(draw(st.integers(0, 3)))
    ]
    return Scenario(
        customer_id=CUSTOMER,
        customer_zone=customer_zone,
        approved_at=None if draw(chance(25)) else approved,
        now=approved
        + timedelta(minutes=draw(st.integers(-2880, 2880)), seconds=draw(st.sampled_from((0, 7)))),
        due_business_days=draw(st.integers(1, 3)),
        duration_minutes=draw(st.integers(3, 24)) * 5,
        notice_hours=draw(st.integers(0, 30)),
        granularity=draw(st.sampled_from((5, 10, 15, 30, 60))),
        business_zone=draw(st.just(customer_zone) | zones),
        business_holidays=draw(holidays),
        people=tuple(people),
        roles=tuple((role, draw(holder)) for role in ROLES),
        language=draw(st.sampled_from((None, None, "es", "fr"))),
        optional_attendees=tuple(draw(st.lists(st.sampled_from(ids), max_size=2, unique=True))),
        interpreters=tuple(interpreters),
        coverage=draw(st.none() | weekly_specs(zones) | weekly_specs(zones)),
        coverage_holidays=draw(holidays),
        meeting_hours=draw(st.none() | weekly_specs(st.just(customer_zone))),
        meeting_holidays=draw(holidays),
        blackouts=tuple(draw(st.lists(blocks(base), max_size=2))),
        weekly_blackouts=tuple(draw(st.lists(weekly_specs(st.just(customer_zone) | zones), max_size=1))),
    )


def _busy(base: datetime) -> st.SearchStrategy[BusySpec | None]:
    """Mostly known busy blocks; sometimes nothing passed, unverified, or (rarely) an unknown calendar."""
    known = st.builds(BusySpec, st.just("known"), st.lists(blocks(base), max_size=2).map(tuple))
    return st.sampled_from(range(12)).flatmap(
        lambda k: (
            known if k < 7 else st.just(None if k < 9 else BusySpec("unverified" if k < 11 else "unknown"))
        )
    )


# --- building the production inputs -----------------------------------------------------------------------


def _weekly(spec: WeeklySpec) -> WeeklyWindows:
    return parse_weekly(dict(spec.windows), ZoneInfo(spec.zone))


def _interval(block: BlockSpec) -> Interval:
    return Interval(block.start.astimezone(UTC), block.end.astimezone(UTC))


def _availability(busy: BusySpec | None) -> Availability | None:
    if busy is None:
        return None
    if busy.status == "known":
        return Availability.known(tuple(_interval(b) for b in busy.blocks))
    if busy.status == "unverified":
        return Availability.unverified()
    return Availability.unknown("source failed")


def build_case(sc: Scenario) -> Case:
    """The production ``Case`` for a scenario (window texts parsed by production's own parser)."""
    return Case(
        escalation_id="ESC-1",
        customer_id=sc.customer_id,
        customer_name="Globex",
        customer_zone=ZoneInfo(sc.customer_zone),
        approved_at=sc.approved_at,
        readout=Readout(
            sc.due_business_days,
            timedelta(minutes=sc.duration_minutes),
            timedelta(hours=sc.notice_hours),
            sc.language,
        ),
        business_zone=ZoneInfo(sc.business_zone),
        business_holidays=HolidaySet(sc.business_holidays),
        people={
            p.id: Person(
                p.id,
                p.id.upper(),
                f"{p.id}@example.com",
                ZoneInfo(p.zone),
                _weekly(p.availability) if p.availability else None,
                tuple(_weekly(w) for w in p.protected),
                p.has_calendar,
            )
            for p in sc.people
        },
        roles=dict(sc.roles),
        optional_attendees=sc.optional_attendees,
        interpreters=tuple(
            Interpreter(
                i.id,
                i.id.upper(),
                f"{i.id}@example.com",
                ZoneInfo(i.zone),
                i.languages,
                i.approved_for,
                _weekly(i.availability) if i.availability else None,
                i.has_calendar,
            )
            for i in sc.interpreters
        ),
        coverage=Coverage(_weekly(sc.coverage), HolidaySet(sc.coverage_holidays)) if sc.coverage else None,
        meeting_hours=(
            MeetingHours(_weekly(sc.meeting_hours), HolidaySet(sc.meeting_holidays))
            if sc.meeting_hours
            else None
        ),
        blackouts=Blackouts(
            tuple(_interval(b) for b in sc.blackouts), tuple(_weekly(w) for w in sc.weekly_blackouts)
        ),
        granularity=sc.granularity,
    )


def run_planner(sc: Scenario) -> Plan:
    people = {p.id: a for p in sc.people if (a := _availability(p.busy)) is not None}
    interpreters = {i.id: a for i in sc.interpreters if (a := _availability(i.busy)) is not None}
    return plan(build_case(sc), sc.now, people, interpreters)


# --- the comparison ---------------------------------------------------------------------------------------


def assert_matches_reference(sc: Scenario) -> None:
    """Every normative part of the plan (spec sections 3, 5, 6) equals the reference's."""
    got = run_planner(sc)
    want = reference_plan(sc)
    assert got.status.value == want.status
    assert set(got.not_ready) == want.not_ready
    if want.status == "not_ready":
        assert not got.candidates
        assert not got.near_misses
        assert not got.causes
        if got.deadline is not None:
            assert (got.earliest_start, got.deadline) == (want.earliest, want.deadline)
        return
    assert got.deadline == want.deadline
    assert got.earliest_start == want.earliest
    assert got.slots_considered == len(want.starts)

    compliant = [(c.start, c.end) for c in got.candidates]
    assert len(compliant) == len(set(compliant)), "a candidate is listed twice"
    assert set(compliant) == want.compliant

    near = {(n.start, n.end): frozenset(n.waivers) for n in got.near_misses}
    assert len(near) == len(got.near_misses), "a near miss is listed twice"
    assert near == want.near_misses
    assert [n.start for n in got.near_misses] == sorted(n.start for n in got.near_misses)

    assert {f: n for f, n in got.violations.items() if n} == want.violations
    assert set(got.causes) == want.causes
    _assert_interpreters(sc, got, want)


def _assert_interpreters(sc: Scenario, got: Plan, want: RefPlan) -> None:
    """A named interpreter must really satisfy INTERPRETER for that slot; none without a language."""
    for slot in (*got.candidates, *got.near_misses):
        if sc.language is None:
            assert slot.interpreter is None
        else:
            assert slot.interpreter in want.interpreters_for[slot.start], slot


# --- explicit DST examples --------------------------------------------------------------------------------


def _people(zone: str) -> tuple[PersonSpec, ...]:
    return tuple(PersonSpec(f"p{i}", zone) for i in range(4))


def dst_scenario(approved: datetime, zone: str, windows: tuple[str, ...], **changes: Any) -> Scenario:
    """Four free people, coverage ``daily`` in ``zone`` with ``windows``, everything else open."""
    base = Scenario(
        customer_id=CUSTOMER,
        customer_zone=zone,
        approved_at=approved,
        now=approved,
        due_business_days=2,
        duration_minutes=60,
        notice_hours=0,
        granularity=15,
        business_zone=zone,
        business_holidays=frozenset(),
        people=_people(zone),
        roles=tuple((role, f"p{i}") for i, role in enumerate(ROLES)),
        coverage=WeeklySpec(zone, (("daily", windows),)),
    )
    return dataclasses.replace(base, **changes)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


DST_EXAMPLES = (
    # US spring forward (Sun 2026-03-08 02:00 -> 03:00): a window in the gap and one across it.
    dst_scenario(_at("2026-03-06T10:00:00-06:00"), "America/Chicago", ("02:00-03:00", "01:00-04:00")),
    # US fall back (Sun 2026-11-01 02:00 -> 01:00): the repeated hour, 5-minute grid.
    dst_scenario(
        _at("2026-10-30T09:00:00-05:00"), "America/Chicago", ("01:00-02:00", "23:00-01:30"), granularity=5
    ),
    # Lord Howe 30-minute spring forward (Sun 2026-10-04 02:00 -> 02:30), hourly grid.
    dst_scenario(
        _at("2026-10-02T09:00:00+10:30"),
        "Australia/Lord_Howe",
        ("02:15-03:00", "00:00-24:00"),
        granularity=60,
    ),
    # Santiago springs forward at midnight (Sun 2026-09-06 00:00 -> 01:00): midnight itself does not exist.
    dst_scenario(
        _at("2026-09-03T12:00:00-04:00"),
        "America/Santiago",
        ("00:00-02:00", "22:00-24:00"),
        duration_minutes=120,
        granularity=30,
    ),
    # Cairo springs forward at midnight on Friday 2026-04-24: the deadline's local midnight does not exist.
    dst_scenario(
        _at("2026-04-21T15:00:00+02:00"),
        "Africa/Cairo",
        ("21:00-24:00", "00:00-03:00"),
        granularity=10,
        blackouts=(BlockSpec(_at("2026-04-23T22:30:00+02:00"), _at("2026-04-23T22:40:30+02:00")),),
    ),
    # Chatham +13:45 -> +12:45 (Sun 2026-04-05 03:45 -> 02:45) with an interpreter and a language.
    dst_scenario(
        _at("2026-04-02T08:00:00+13:45"),
        "Pacific/Chatham",
        ("02:45-03:45", "03:00-05:00"),
        language="es",
        interpreters=(
            InterpreterSpec(
                "i0",
                "Pacific/Chatham",
                ("es",),
                ("*",),
                WeeklySpec("Pacific/Chatham", (("daily", ("02:00-04:00",)),)),
            ),
        ),
    ),
)


# --- the property -----------------------------------------------------------------------------------------


def _with_examples(test: Callable[[Scenario], None]) -> Callable[[Scenario], None]:
    for sc in reversed(DST_EXAMPLES):
        test = example(sc)(test)
    return test


@settings(
    max_examples=600,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenarios())
@_with_examples
def test_planner_matches_minute_by_minute_reference(sc: Scenario) -> None:
    assert_matches_reference(sc)


@pytest.mark.parametrize(
    "sc", DST_EXAMPLES, ids=["us-spring", "us-fall", "lord-howe", "santiago", "cairo", "chatham"]
)
def test_dst_examples_have_slots_to_compare(sc: Scenario) -> None:
    """The explicit examples are only worth having if they reach the slot search."""
    assert reference_plan(sc).starts
