"""Audit entries carry the instant they were recorded; a command's "as of" (``--now``) is in the payload."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from readout.domain import audit
from readout.domain.audit import GENESIS, chain, entry_hash, verify_chain
from readout.domain.escalation import Escalation

REAL = datetime(2026, 12, 4, 19, 0, tzinfo=UTC)
REHEARSED = datetime(2026, 11, 12, 15, 0, tzinfo=UTC)


@pytest.fixture
def wall(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """The wall clock, one reading per entry, taken from the front of this list."""
    readings: list[datetime] = []
    monkeypatch.setattr(audit, "wall_clock", lambda: readings.pop(0))
    return readings


def escalation() -> Escalation:
    return Escalation(id="ESC-1", case_digest="d" * 64, customer_id="acme", opened_at=REHEARSED)


def test_an_entry_decided_as_of_another_instant_is_stamped_with_the_wall_clock(wall: list[datetime]) -> None:
    wall.append(REAL)
    esc = escalation()

    entry = esc.record(REHEARSED, "priya", "plan", {"status": "ready"})

    assert entry.at == REAL
    assert entry.payload == {"status": "ready", "as_of": "2026-11-12T15:00:00Z"}
    assert verify_chain([entry], 1, esc.audit_head) == []


def test_an_entry_decided_now_carries_no_as_of(wall: list[datetime]) -> None:
    wall.append(REAL + timedelta(milliseconds=300))

    entry = escalation().record(REAL, "priya", "plan", {})

    assert "as_of" not in entry.payload


def test_a_wall_clock_stepping_back_within_a_command_does_not_make_the_chain_go_backwards(
    wall: list[datetime],
) -> None:
    wall.extend([REAL, REAL - timedelta(seconds=5)])  # an NTP step between two entries
    esc = escalation()

    first = esc.record(REAL, "priya", "plan", {})
    second = esc.record(REAL, "priya", "hold", {})

    assert second.at == first.at
    assert verify_chain(esc.pending, 2, esc.audit_head) == []


def test_a_chain_whose_recorded_times_go_backwards_fails_verification() -> None:
    first = chain(0, GENESIS, "ESC-1", REAL, "priya", "opened", {})
    second = chain(1, first.hash, "ESC-1", REAL - timedelta(days=22), "dana", "hold", {})

    problems = verify_chain([first, second], 2, second.hash)

    assert problems == [
        "entry 2: recorded at 2026-11-12T19:00:00Z, before entry 1 (2026-12-04T19:00:00Z): "
        "recorded times go backwards"
    ]


def test_a_backdated_entry_rehashed_to_look_intact_is_still_caught() -> None:
    first = chain(0, GENESIS, "ESC-1", REAL, "priya", "opened", {})
    second = chain(1, first.hash, "ESC-1", REAL + timedelta(hours=1), "dana", "confirm", {})
    backdated_at = REAL - timedelta(days=1)
    forged = replace(
        second,
        at=backdated_at,
        hash=entry_hash("ESC-1", 2, backdated_at, "dana", "confirm", {}, first.hash),
    )

    assert any("go backwards" in p for p in verify_chain([first, forged], 2, forged.hash))
