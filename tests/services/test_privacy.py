"""The internal summary and calendar event titles never leave the case folder: not into the store, the hold
calendar, the audit log or the invite packet."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from pathlib import Path

import yaml
from sqlalchemy import Engine, MetaData, select

from readout.adapters.memory.store import MemoryStore
from readout.domain.audit import canonical_json
from readout.services.confirmation import confirm, review
from readout.services.exceptions import approve, request_exception
from readout.services.holding import extend_holds, hold_slots, release_holds
from readout.services.ports import UnitOfWork
from tests.services.flows import DUTY, EM, FREEZE, FREEZE_ID, GLOBEX, GLOBEX_ID, LEAD, PSM, Desk, book, u


def secrets_of(case: Path) -> set[str]:
    """The case's internal summary and every SUMMARY of its calendars (as they are now)."""
    found = {yaml.safe_load(case.read_text())["escalation"]["summary"]}
    for ics in (case.parent / "calendars").glob("*.ics"):
        found |= set(re.findall(r"^SUMMARY[^:]*:(.+?)\r?$", ics.read_text(), re.MULTILINE))
    return found


def raw_rows(store_uow: object) -> list[str]:
    """Underneath the ports: the raw MemoryStore, or every row of every table of a SQL store."""
    memory = getattr(store_uow, "store", None)
    if memory is None and getattr(store_uow, "backend", None) == "memory":
        memory = getattr(store_uow, "memory", None)
    if isinstance(memory, MemoryStore):
        return [repr(vars(memory)), json.dumps(memory.plans, default=str)]
    engine = getattr(store_uow, "engine", None)
    if not isinstance(engine, Engine):
        return []
    tables = MetaData()
    tables.reflect(engine)
    with engine.connect() as connection:
        return [repr(connection.execute(select(table)).all()) for table in tables.sorted_tables]


def everything_stored(desk: Desk, store_uow: Callable[[], UnitOfWork]) -> str:
    """Every object the store gives back through its ports, plus the raw memory store when there is one."""
    parts: list[str] = []
    with store_uow() as uow:
        parts.append(repr(uow.users.list()))
        for esc in uow.escalations.list():
            parts.append(repr(dataclasses.asdict(esc)))
            parts += [v.document.text for v in uow.cases.of(esc.id)]
            parts.append(json.dumps(uow.plans.latest(esc.id), default=str))
            parts += [repr(h) for h in uow.holds.of(esc.id)]
            parts += [repr(r) for r in uow.exceptions.of(esc.id)]
            parts += [repr(w) for w in uow.waivers.of(esc.id)]
            parts += [repr(e) + canonical_json(e.payload) for e in uow.audit.entries(esc.id)]
    parts += raw_rows(store_uow)
    parts.append(repr(desk.calendar.events) + repr(desk.calendar.released))
    return "\n".join(parts)


def test_a_full_lifecycle_with_a_late_booking_leaks_no_summary(
    desk: Desk, store_uow: Callable[[], UnitOfWork]
) -> None:
    case = desk.copy(GLOBEX)
    desk.open(GLOBEX)
    hold_slots(desk.deps, GLOBEX_ID, EM)
    first = review(desk.deps, GLOBEX_ID, EM, u(2026, 11, 17, 18))
    book(
        case.parent / "calendars" / "mei.ics",
        u(2026, 11, 17, 18, 45),
        u(2026, 11, 17, 19),
        "Secret merger call",
    )
    assert not confirm(desk.deps, GLOBEX_ID, EM, first.packet.digest).confirmed
    hold_slots(desk.deps, GLOBEX_ID, EM)
    desk.clock.advance(hours=1)
    extend_holds(desk.deps, GLOBEX_ID, EM)
    release_holds(desk.deps, GLOBEX_ID, EM, start=u(2026, 11, 17, 17, 30))
    second = review(desk.deps, GLOBEX_ID, PSM, u(2026, 11, 17, 17, 45))
    done = confirm(desk.deps, GLOBEX_ID, PSM, second.packet.digest)
    assert done.confirmed, done.reason

    secrets = secrets_of(case)
    assert {"Secret merger call", "Private: performance reviews"} <= secrets
    assert len(secrets) >= 12
    stored = everything_stored(desk, store_uow)
    assert GLOBEX_ID in stored
    assert "interpreter: Ana Ruiz" in stored  # the plans' reasons were walked too
    packets = [canonical_json(p.as_dict()) for p in (first.packet, second.packet, done.packet) if p]
    for secret in sorted(secrets):
        assert secret not in stored, f"{secret!r} reached the store"
        for packet in packets:
            assert secret not in packet, f"{secret!r} reached the invite packet"


def test_an_exception_lifecycle_leaks_no_summary(desk: Desk, store_uow: Callable[[], UnitOfWork]) -> None:
    case = desk.copy(FREEZE)
    request = desk.open(FREEZE).request
    assert request is not None
    approve(desk.deps, FREEZE_ID, DUTY, request.options[0].slot.start, "approved")
    hold_slots(desk.deps, FREEZE_ID, EM)
    request_exception(desk.deps, FREEZE_ID, EM, "replace the customer success director")
    approve(desk.deps, FREEZE_ID, LEAD, request.options[0].slot.start, "keep Mei; the waived slot stands")
    hold_slots(desk.deps, FREEZE_ID, EM)
    seen = review(desk.deps, FREEZE_ID, EM, request.options[0].slot.start)
    assert confirm(desk.deps, FREEZE_ID, EM, seen.packet.digest).confirmed

    secrets = secrets_of(case)
    assert secrets == {
        "Payment file transfer stalled after TLS inspection change",
        "Quarterly business review",
    }
    stored = everything_stored(desk, store_uow)
    for secret in sorted(secrets):
        assert secret not in stored
        assert secret not in canonical_json(seen.packet.as_dict())


def test_the_invite_packet_carries_purpose_roles_modality_local_times_and_the_reference(desk: Desk) -> None:
    desk.open(GLOBEX)
    hold_slots(desk.deps, GLOBEX_ID, EM)

    packet = review(desk.deps, GLOBEX_ID, EM, u(2026, 11, 17, 18)).packet

    assert packet.reference == GLOBEX_ID
    assert "Globex Financial" in packet.purpose
    assert packet.modality == "video"
    assert (packet.start_utc, packet.end_utc) == ("2026-11-17T18:00:00Z", "2026-11-17T19:00:00Z")
    local = {a.role: (a.name, a.timezone, a.local_start, a.local_end) for a in packet.attendees}
    assert local == {
        "escalation_manager": (
            "Dana Ortiz",
            "America/Chicago",
            "2026-11-17 12:00 CST",
            "2026-11-17 13:00 CST",
        ),
        "fix_owner": ("Ravi Kumar", "Asia/Kolkata", "2026-11-17 23:30 IST", "2026-11-18 00:30 IST"),
        "customer_success_director": (
            "Mei Chen",
            "America/New_York",
            "2026-11-17 13:00 EST",
            "2026-11-17 14:00 EST",
        ),
        "customer_incident_manager": (
            "Luis Garza",
            "America/Mexico_City",
            "2026-11-17 12:00 CST",
            "2026-11-17 13:00 CST",
        ),
        "interpreter": ("Ana Ruiz", "America/Mexico_City", "2026-11-17 12:00 CST", "2026-11-17 13:00 CST"),
    }
