"""Small builders for hand-made domain cases (tests only)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from readout.domain.case import Case, Coverage, Interpreter, Person, Readout
from readout.domain.case import HolidaySet as HolidaySet
from readout.domain.names import ROLES
from readout.domain.weekly import WeeklyWindows, parse_weekly

UTCZ = ZoneInfo("UTC")


def u(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def weekly(spec: dict[str, Any], zone: str = "UTC") -> WeeklyWindows:
    return parse_weekly(spec, ZoneInfo(zone))


def person(pid: str, zone: str = "UTC", **kw: Any) -> Person:
    return Person(pid, pid.title(), f"{pid}@example.test", ZoneInfo(zone), **kw)


def interpreter(
    iid: str, langs: tuple[str, ...] = ("es",), approved: tuple[str, ...] = ("acme",), **kw: Any
) -> Interpreter:
    return Interpreter(iid, iid.title(), f"{iid}@interp.test", kw.pop("zone", UTCZ), langs, approved, **kw)


def make_case(**changes: Any) -> Case:
    """A ready UTC case: approved Mon 2026-11-02 12:00Z, due in 1 business day (deadline Wed 00:00Z)."""
    people = {r: person(r) for r in ROLES}
    base = Case(
        escalation_id="ESC-1",
        customer_id="acme",
        customer_name="Acme",
        customer_zone=UTCZ,
        approved_at=u(2026, 11, 2, 12),
        readout=Readout(due_business_days=1, duration=timedelta(hours=1), min_notice=timedelta(0)),
        business_zone=UTCZ,
        business_holidays=HolidaySet(),
        people=people,
        roles={r: r for r in ROLES},
        coverage=Coverage(weekly({"mon-fri": "09:00-17:00"})),
        granularity=60,
    )
    return dataclasses.replace(base, **changes)
