"""Escalations and their audit entries: the contract of the Escalations and AuditLog ports."""

from __future__ import annotations

from datetime import UTC, timedelta, timezone

import pytest

from readout.domain import audit
from readout.domain.audit import GENESIS, verify_chain
from readout.domain.lifecycle import Action, State
from readout.errors import Conflict
from tests.adapters.sql.builders import at, escalation, slot
from tests.support.db_fixtures import Store


def test_a_stored_escalation_comes_back_field_for_field(uow_factory: Store) -> None:
    original = escalation()
    original.state = State.AWAITING_CONFIRMATION
    original.approved_at = at(3, 9, 0, 1)
    original.deadline = at(14, 17, 0, 999999)
    original.first_viable_at = at(4, 12, 5, 42)
    original.review_slot = slot(10)
    original.review_interpreter = "interp.kim"
    original.packet_digest = "sha256:" + "cd" * 32
    original.confirmed_by = "pm.ana"
    original.confirmed_at = at(6, 8, 0, 7)
    with uow_factory() as uow:
        uow.escalations.add(original)
        uow.commit()

    with uow_factory() as uow:
        found = uow.escalations.get("ESC-1")

    assert found == original
    assert found is not None
    assert found.pending == []


def test_an_unknown_escalation_is_none(uow_factory: Store) -> None:
    with uow_factory() as uow:
        assert uow.escalations.get("ESC-404") is None


def test_adding_an_existing_id_is_a_conflict_and_the_work_goes_on(uow_factory: Store) -> None:
    with uow_factory() as uow:
        uow.escalations.add(escalation())
        uow.commit()

    with uow_factory() as uow:
        with pytest.raises(Conflict, match="ESC-1 already exists"):
            uow.escalations.add(escalation())
        uow.escalations.add(escalation("ESC-2"))  # the transaction survived the refused insert
        uow.commit()

    with uow_factory() as uow:
        assert [e.id for e in uow.escalations.list()] == ["ESC-1", "ESC-2"]


def test_list_is_oldest_first(uow_factory: Store) -> None:
    with uow_factory() as uow:
        uow.escalations.add(escalation("ESC-late", opened=at(9)))
        uow.escalations.add(escalation("ESC-early", opened=at(2)))
        uow.escalations.add(escalation("ESC-middle", opened=at(5)))
        uow.commit()

    with uow_factory() as uow:
        assert [e.id for e in uow.escalations.list()] == ["ESC-early", "ESC-middle", "ESC-late"]


def test_save_bumps_the_version_and_writes_the_pending_entries(uow_factory: Store) -> None:
    new = escalation()
    new.transition(Action.PLAN, at(3, 9), "pm.ana", {"status": "ready"})
    with uow_factory() as uow:
        uow.escalations.add(new)
        uow.commit()
    assert new.pending == []

    with uow_factory() as uow:
        stored = uow.escalations.get("ESC-1")
        assert stored is not None
        stored.transition(Action.HOLD, at(3, 10), "pm.ana", {"holds": 3})
        uow.escalations.save(stored)
        assert stored.version == 1
        assert stored.pending == []
        uow.commit()

    with uow_factory() as uow:
        again = uow.escalations.get("ESC-1")
        entries = uow.audit.entries("ESC-1")
    assert again is not None
    assert (again.state, again.version, again.audit_seq) == (State.HELD, 1, 2)
    assert [(e.seq, e.kind) for e in entries] == [(1, "plan"), (2, "hold")]
    assert entries[0].prev_hash == GENESIS
    assert verify_chain(entries, again.audit_seq, again.audit_head) == []


def test_saving_a_stale_copy_is_a_conflict_and_changes_nothing(uow_factory: Store) -> None:
    with uow_factory() as uow:
        uow.escalations.add(escalation())
        uow.commit()
    with uow_factory() as uow:
        stale = uow.escalations.get("ESC-1")
    assert stale is not None

    with uow_factory() as uow:
        fresh = uow.escalations.get("ESC-1")
        assert fresh is not None
        fresh.transition(Action.PLAN, at(3, 9), "pm.ana", {})
        uow.escalations.save(fresh)
        uow.commit()

    with uow_factory() as uow:
        stale.transition(Action.CANCEL, at(3, 9, 1), "pm.bob", {})
        with pytest.raises(Conflict, match="changed by someone else"):
            uow.escalations.save(stale)
        assert stale.version == 0  # the caller's copy is not half-updated
        uow.commit()

    with uow_factory() as uow:
        final = uow.escalations.get("ESC-1")
        assert final is not None
        assert (final.state, final.version) == (State.PLANNED, 1)
        assert [e.actor for e in uow.audit.entries("ESC-1")] == ["pm.ana"]


def test_saving_an_escalation_never_added_is_a_conflict(uow_factory: Store) -> None:
    with uow_factory() as uow, pytest.raises(Conflict):
        uow.escalations.save(escalation("ESC-ghost"))


def test_audit_entries_are_per_escalation_in_sequence(uow_factory: Store) -> None:
    first, second = escalation("ESC-1"), escalation("ESC-2")
    for n in range(5):
        first.record(at(3, 9, n), "pm.ana", "note", {"n": n})
    second.record(at(3, 9), "pm.bob", "note", {"n": "other"})
    with uow_factory() as uow:
        uow.escalations.add(second)
        uow.escalations.add(first)
        uow.commit()

    with uow_factory() as uow:
        entries = uow.audit.entries("ESC-1")
        assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
        assert [e.payload["n"] for e in entries] == [0, 1, 2, 3, 4]
        assert [e.actor for e in uow.audit.entries("ESC-2")] == ["pm.bob"]
        assert uow.audit.entries("ESC-404") == []


# What a JSON column can get wrong: key order, unicode, big and tiny numbers, nesting, empties.
AWKWARD_PAYLOAD = {
    "zeta": 1,
    "alpha": {"nested": [1, 2.5, None, True, False, "", {}, []]},
    "unicode": 'Zoë — 東京 🚀 \u2028 "quoted" \\ back',
    "big": 12345678901234567890123,
    "float_big": 1e20,
    "float_small": 5e-324,
    "negative_zero": -0.0,
    "precise": 0.1 + 0.2,
    "slot": {"start": "2031-03-10T15:00:00+00:00"},
}


def test_audit_payloads_come_back_exactly_so_the_chain_verifies(uow_factory: Store) -> None:
    new = escalation()
    entry = new.record(at(3, 9, 0, 123456), "pm.ana", "note", AWKWARD_PAYLOAD)
    with uow_factory() as uow:
        uow.escalations.add(new)
        uow.commit()

    with uow_factory() as uow:
        (stored,) = uow.audit.entries("ESC-1")
    assert stored == entry
    assert repr(stored.payload) == repr(entry.payload)  # -0.0 vs 0, 1e20 vs 10**20: equal but hash apart
    assert verify_chain([stored], new.audit_seq, new.audit_head) == []


def test_instants_come_back_as_utc_with_microseconds(
    sql_uow_factory: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    india = timezone(timedelta(hours=5, minutes=30))
    monkeypatch.setattr(audit, "wall_clock", lambda: at(3, 9, 0, 1).astimezone(india))
    new = escalation(opened=at(3, 8, 15, 123456).astimezone(india))
    new.record(at(3, 9, 0, 1).astimezone(india), "pm.ana", "note", {})
    with sql_uow_factory() as uow:
        uow.escalations.add(new)
        uow.commit()

    with sql_uow_factory() as uow:
        stored = uow.escalations.get("ESC-1")
        (entry,) = uow.audit.entries("ESC-1")
    assert stored is not None
    assert stored.opened_at == at(3, 8, 15, 123456)
    assert stored.opened_at.tzinfo is UTC
    assert entry.at == at(3, 9, 0, 1)
    assert entry.at.tzinfo is UTC
    assert verify_chain([entry], 1, new.audit_head) == []


def test_naive_instants_are_refused(sql_uow_factory: Store) -> None:
    naive = escalation(opened=at(3).replace(tzinfo=None))
    with sql_uow_factory() as uow, pytest.raises(Exception, match="naive datetime"):
        uow.escalations.add(naive)
