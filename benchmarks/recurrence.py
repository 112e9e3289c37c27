"""Recurrence expansion cost against DTSTART age: the same rules starting last week, 5 and 15 years ago.

Each calendar holds ``series`` VEVENTs of one rule kind (different times of day) in America/Chicago; the
production ``parse_busy`` reads it for a three-week planning window. ``parse only`` is the production
parsing step of the same bytes (``SourceText`` checks and the busy-time parser on top of icalendar's, as
``parse_busy`` runs them), so ``parse_busy - parse only`` is what reading busy time adds: expansion,
filtering and merging.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from benchmarks.icsmodel import CalendarModel, Event, Rule, expand_busy, ics_text
from benchmarks.timing import repeat
from readout.adapters.ics import reader as ics
from readout.adapters.ics.reader import parse_busy
from readout.adapters.ics.source import SourceText
from readout.domain.intervals import Interval

__all__ = ["AGES", "KINDS", "measure_ages"]

ZONE = "America/Chicago"
WEEKDAYS = (0, 1, 2, 3, 4)
KINDS: dict[str, Rule] = {
    "daily, weekdays": Rule("DAILY", WEEKDAYS),
    "daily, every day": Rule("DAILY", (0, 1, 2, 3, 4, 5, 6)),
    "weekly MO,WE,FR": Rule("WEEKLY", (0, 2, 4)),
    "every 2 weeks": Rule("WEEKLY", (1,), interval=2),
    "monthly, 2nd TU": Rule("MONTHLY", (1,), nth=2),
    "weekly, COUNT=1000": Rule("WEEKLY", (3,), count=1000),
    "monthly, COUNT=200": Rule("MONTHLY", (3,), nth=1, count=200),
}
AGES = {"last week": 7, "5 years": 5 * 365, "15 years": 15 * 365}


def _first(rule: Rule, near: date) -> date:
    day = near
    while not rule.matches(day, day):
        day += timedelta(days=1)
    return day


def calendar(rule: Rule, age_days: int, series: int, window: Interval) -> CalendarModel:
    """``series`` events of ``rule`` whose DTSTART is ``age_days`` before the window."""
    first = _first(rule, window.start.date() - timedelta(days=age_days))
    events = []
    for n in range(series):
        minute = 6 * 60 + (n * 15) % (14 * 60)
        wall = datetime.combine(first, time(minute // 60, minute % 60))
        events.append(Event(f"s{n}@age.example", wall, timedelta(minutes=30), ZONE, "Series", rule=rule))
    return CalendarModel("age.ics", ZONE, "-//Readout bench//Ages//EN", events)


def measure_ages(window: Interval, *, series: int, budget: float) -> list[dict[str, Any]]:
    """Per rule kind and age: parse_busy and parse-only timings (checked against the direct expansion)."""
    rows: list[dict[str, Any]] = []
    kinds = {**KINDS, "all kinds together": None}
    for kind, rule in kinds.items():
        row: dict[str, Any] = {"kind": kind, "ages": {}}
        for age, days in AGES.items():
            if rule is None:
                events = [e for r in KINDS.values() for e in calendar(r, days, series, window).events]
                events = [dataclasses.replace(e, uid=f"{n}-{e.uid}") for n, e in enumerate(events)]
                model = CalendarModel("age.ics", ZONE, "-//Readout bench//Ages//EN", events)
            else:
                model = calendar(rule, days, series, window)
            data = ics_text(model).encode()
            busy = parse_busy(
                data, source="age.ics", window=window, zone=ZoneInfo(ZONE), tentative_is_busy=True
            )
            expected = expand_busy(model, window, tentative=True, transp_frees=True)
            if busy != expected:
                raise AssertionError(f"{kind}, DTSTART {age}: parse_busy disagrees with the direct expansion")

            def read(raw: bytes) -> object:  # uncached: the parse is what is measured
                return parse_busy(
                    raw,
                    source="age.ics",
                    window=window,
                    zone=ZoneInfo(ZONE),
                    tentative_is_busy=True,
                    cache=None,
                )

            total = repeat(read, lambda raw=data: raw, min_runs=3, max_runs=25, budget=budget)
            parse = repeat(
                lambda raw: ics._parse(SourceText(raw), "age.ics"),  # the production parsing step
                lambda raw=data: raw,
                min_runs=3,
                max_runs=25,
                budget=budget / 2,
            )
            row["ages"][age] = {
                "events": len(model.events),
                "busy_intervals": len(busy),
                "parse_busy": total.as_json(),
                "parse_only": parse.as_json(),
                "expansion_ms": max(0.0, total.p50 - parse.p50) * 1e3,
            }
        new, old = row["ages"]["last week"], row["ages"]["15 years"]
        row["ratio_total"] = old["parse_busy"]["p50_ms"] / new["parse_busy"]["p50_ms"]
        row["ratio_expansion"] = (
            old["expansion_ms"] / new["expansion_ms"] if new["expansion_ms"] else float("nan")
        )
        rows.append(row)
    return rows
