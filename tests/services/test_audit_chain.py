"""The audit log of a whole lifecycle is an intact hash chain, and any edit, deletion, insertion, reordering or
truncation of it is detected."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from readout.domain.audit import AuditEntry, entry_hash, verify_chain
from readout.services.confirmation import confirm, review
from readout.services.escalations import plan_escalation
from readout.services.exceptions import approve
from readout.services.holding import extend_holds, hold_slots, reap
from tests.services.flows import DUTY, EM, FREEZE, FREEZE_ID, GLOBEX, GLOBEX_ID, PSM, Desk, u


def globex_lifecycle(desk: Desk) -> None:
    """Open, hold, lose the holds to the reaper, re-plan, hold, extend, review, confirm."""
    desk.open(GLOBEX)
    hold_slots(desk.deps, GLOBEX_ID, EM)
    desk.clock.advance(hours=24)
    reap(desk.deps)
    plan_escalation(desk.deps, GLOBEX_ID, EM, "holds expired")
    hold_slots(desk.deps, GLOBEX_ID, EM)
    desk.clock.advance(hours=1)
    extend_holds(desk.deps, GLOBEX_ID, EM)
    start = desk.live_holds(GLOBEX_ID)[0].slot.start
    seen = review(desk.deps, GLOBEX_ID, EM, start)
    assert confirm(desk.deps, GLOBEX_ID, PSM, seen.packet.digest).confirmed


def freeze_lifecycle(desk: Desk) -> None:
    """Open (exception requested), waive coverage for one slot, hold, review, confirm."""
    desk.open(FREEZE)
    approve(desk.deps, FREEZE_ID, DUTY, u(2026, 11, 24, 11), "approved")
    hold_slots(desk.deps, FREEZE_ID, EM)
    seen = review(desk.deps, FREEZE_ID, EM, u(2026, 11, 24, 11))
    assert confirm(desk.deps, FREEZE_ID, EM, seen.packet.digest).confirmed


LIFECYCLES: dict[str, tuple[Callable[[Desk], None], str, list[str]]] = {
    "globex": (
        globex_lifecycle,
        GLOBEX_ID,
        ["opened", "plan", "hold_placed", "hold", "hold_expired", "holds_lost", "plan", "hold_extended"],
    ),
    "freeze": (
        freeze_lifecycle,
        FREEZE_ID,
        ["opened", "plan", "request_exception", "waiver_recorded", "approve_exception", "hold", "review"],
    ),
}


@pytest.fixture(params=list(LIFECYCLES))
def lifecycle(request: pytest.FixtureRequest, desk: Desk) -> tuple[Desk, str, list[str]]:
    """A finished lifecycle: the desk, the escalation id, and audit kinds it must have produced."""
    run, escalation_id, kinds = LIFECYCLES[request.param]
    run(desk)
    return desk, escalation_id, kinds


def test_a_full_lifecycle_leaves_an_intact_chain_with_every_step(
    lifecycle: tuple[Desk, str, list[str]],
) -> None:
    desk, escalation_id, expected = lifecycle
    esc = desk.escalation(escalation_id)
    entries = desk.audit(escalation_id)

    assert verify_chain(entries, esc.audit_seq, esc.audit_head) == []
    assert [e.seq for e in entries] == list(range(1, esc.audit_seq + 1))
    kinds = [e.kind for e in entries]
    assert set(expected) <= set(kinds)
    after = kinds[kinds.index("confirm") + 1 :]  # what was carried out once the decision was committed
    assert "readout_on_calendar" in after
    assert set(after) <= {"readout_on_calendar", "hold_off_calendar", "invite_sent"}
    assert "hold_confirmed" in kinds
    assert all(e.escalation_id == escalation_id for e in entries)


def _edit_payload(entries: list[AuditEntry]) -> list[AuditEntry]:
    i = next(i for i, e in enumerate(entries) if e.kind == "confirm")
    entries[i] = dataclasses.replace(entries[i], payload={**entries[i].payload, "confirmed_by": "Mallory"})
    return entries


def _edit_actor(entries: list[AuditEntry]) -> list[AuditEntry]:
    entries[-1] = dataclasses.replace(entries[-1], actor="mallory")
    return entries


def _delete_middle(entries: list[AuditEntry]) -> list[AuditEntry]:
    del entries[len(entries) // 2]
    return entries


def _forge(after: AuditEntry, seq: int) -> AuditEntry:
    payload = {"reason": "nothing to see"}
    digest = entry_hash(after.escalation_id, seq, after.at, "mallory", "note", payload, after.hash)
    return AuditEntry(after.escalation_id, seq, after.at, "mallory", "note", payload, after.hash, digest)


def _insert_forged_in_the_middle(entries: list[AuditEntry]) -> list[AuditEntry]:
    k = len(entries) // 2
    entries.insert(k + 1, _forge(entries[k], entries[k].seq + 1))
    return entries


def _insert_forged_and_rechain_everything_after(entries: list[AuditEntry]) -> list[AuditEntry]:
    """The strongest forgery without the escalation's head: every later link recomputed."""
    k = len(entries) // 2
    out = [*entries[: k + 1], _forge(entries[k], entries[k].seq + 1)]
    for old in entries[k + 1 :]:
        prev, seq = out[-1].hash, out[-1].seq + 1
        digest = entry_hash(old.escalation_id, seq, old.at, old.actor, old.kind, old.payload, prev)
        out.append(dataclasses.replace(old, seq=seq, prev_hash=prev, hash=digest))
    return out


def _append_forged(entries: list[AuditEntry]) -> list[AuditEntry]:
    return [*entries, _forge(entries[-1], entries[-1].seq + 1)]


def _swap_two(entries: list[AuditEntry]) -> list[AuditEntry]:
    entries[2], entries[3] = entries[3], entries[2]
    return entries


def _drop_last(entries: list[AuditEntry]) -> list[AuditEntry]:
    return entries[:-1]


def _drop_all(entries: list[AuditEntry]) -> list[AuditEntry]:
    return []


TAMPERING = [
    _edit_payload,
    _edit_actor,
    _delete_middle,
    _insert_forged_in_the_middle,
    _insert_forged_and_rechain_everything_after,
    _append_forged,
    _swap_two,
    _drop_last,
    _drop_all,
]


@pytest.mark.parametrize("tamper", TAMPERING, ids=[t.__name__.strip("_") for t in TAMPERING])
def test_tampering_with_the_stored_entries_is_detected(
    lifecycle: tuple[Desk, str, list[str]], tamper: Callable[[list[AuditEntry]], list[AuditEntry]]
) -> None:
    desk, escalation_id, _ = lifecycle
    esc = desk.escalation(escalation_id)
    entries = desk.audit(escalation_id)

    problems = verify_chain(tamper(list(entries)), esc.audit_seq, esc.audit_head)

    assert problems, f"{tamper.__name__} went unnoticed"
    assert verify_chain(desk.audit(escalation_id), esc.audit_seq, esc.audit_head) == []


def test_a_rechained_forgery_is_caught_by_the_head_the_escalation_keeps(
    lifecycle: tuple[Desk, str, list[str]],
) -> None:
    desk, escalation_id, _ = lifecycle
    esc = desk.escalation(escalation_id)
    forged = _insert_forged_and_rechain_everything_after(desk.audit(escalation_id))

    assert verify_chain(forged, len(forged), forged[-1].hash) == []  # self-consistent on its own
    assert verify_chain(forged, esc.audit_seq, esc.audit_head) != []
