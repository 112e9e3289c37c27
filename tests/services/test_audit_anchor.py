"""Anchors outside the log catch what per-escalation chaining cannot: the adversarial review's three attacks
(a tail cut with the stored head moved back, a history re-hashed after an edit, an escalation deleted with
all its entries) each verify as intact without an anchor and are caught with one, on SQLite and PostgreSQL.
Verify also replays each log against the stored state, live holds and waivers."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from readout.adapters.memory.channel import MemoryChannel
from readout.domain.audit import AuditEntry, entry_hash
from readout.errors import ReadoutError
from readout.services.anchoring import (
    Anchor,
    anchor_heads,
    anchor_if_due,
    append_anchor,
    read_anchors,
    verify_anchors,
)
from readout.services.escalations import plan_escalation
from readout.services.holding import hold_slots
from readout.services.queries import verify_audit
from tests.services.flows import EM, FREEZE, FREEZE_ID, GLOBEX, GLOBEX_ID, Desk
from tests.support.db_fixtures import Store, drop_append_only_guard


@pytest.fixture
def store_uow(sql_uow_factory: Store) -> Store:
    """These attacks are on the database underneath: SQLite and PostgreSQL only."""
    return sql_uow_factory


def _opened(desk: Desk, tmp_path: Path) -> Path:
    """Globex (re-planned once: its last entry is a plan that changes no state) and Initech, anchored."""
    desk.open(FREEZE)
    desk.open(GLOBEX)  # sets the clock to Globex's own now: the re-plan below finds its slots again
    plan_escalation(desk.deps, GLOBEX_ID, EM, "inputs changed")
    path = tmp_path / "anchors.jsonl"
    append_anchor(path, anchor_heads(desk.deps))
    return path


def _engine(desk: Desk) -> Engine:
    store = desk.deps.uow
    assert isinstance(store, Store)
    assert store.engine is not None
    drop_append_only_guard(store.engine)
    return store.engine


def _write_chain(desk: Desk, escalation_id: str, entries: list[AuditEntry]) -> None:
    """Replace the escalation's stored entries and head, as someone with write access to the database."""
    engine = _engine(desk)
    with engine.begin() as c:
        c.execute(text("DELETE FROM audit_entries WHERE escalation_id = :e"), {"e": escalation_id})
        for e in entries:
            c.execute(
                text(
                    "INSERT INTO audit_entries (escalation_id, seq, at, actor, kind, payload, prev_hash, hash) "
                    "VALUES (:e, :s, :at, :actor, :kind, :payload, :prev, :hash)"
                ),
                {
                    "e": e.escalation_id,
                    "s": e.seq,
                    "at": e.at,
                    "actor": e.actor,
                    "kind": e.kind,
                    "payload": json.dumps(e.payload),
                    "prev": e.prev_hash,
                    "hash": e.hash,
                },
            )
        head = entries[-1] if entries else None
        c.execute(
            text("UPDATE escalations SET audit_seq = :s, audit_head = :h WHERE id = :e"),
            {"s": head.seq if head else 0, "h": head.hash if head else "0" * 64, "e": escalation_id},
        )


def _verdicts(desk: Desk, path: Path) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    anchors = read_anchors(path)
    named = [k for a in anchors for k in a.escalations]
    merged: dict[str, list[str]] = {}
    for found in (verify_audit(desk.deps, None, named), verify_anchors(desk.deps, anchors)):
        for key, problems in found.items():
            merged[key] = merged.get(key, []) + problems
    return verify_audit(desk.deps), {k: v for k, v in merged.items() if v}


def test_an_untouched_store_verifies_with_and_without_its_anchor(desk: Desk, tmp_path: Path) -> None:
    path = _opened(desk, tmp_path)
    plain, anchored = _verdicts(desk, path)
    assert plain == {GLOBEX_ID: [], FREEZE_ID: []}
    assert anchored == {}
    record = json.loads(path.read_text().splitlines()[0])
    assert record["escalations"][GLOBEX_ID]["seq"] == desk.escalation(GLOBEX_ID).audit_seq


def test_a_cut_tail_with_its_head_moved_back_is_caught_only_by_the_anchor(desk: Desk, tmp_path: Path) -> None:
    path = _opened(desk, tmp_path)
    entries = desk.audit(GLOBEX_ID)
    assert entries[-1].kind == "plan"
    _write_chain(desk, GLOBEX_ID, entries[:-1])

    plain, anchored = _verdicts(desk, path)

    assert plain[GLOBEX_ID] == []  # the chain and its stored head agree: intact on its own
    assert any(f"entry {entries[-1].seq}" in p and "missing" in p for p in anchored[GLOBEX_ID])
    assert FREEZE_ID not in anchored


def test_a_history_re_hashed_after_an_edit_is_caught_only_by_the_anchor(desk: Desk, tmp_path: Path) -> None:
    path = _opened(desk, tmp_path)
    entries = desk.audit(GLOBEX_ID)
    forged: list[AuditEntry] = []
    for old in entries:
        payload = {**old.payload, "customer": "someone else"} if old.kind == "opened" else old.payload
        prev = forged[-1].hash if forged else old.prev_hash
        digest = entry_hash(old.escalation_id, old.seq, old.at, old.actor, old.kind, payload, prev)
        forged.append(dataclasses.replace(old, payload=payload, prev_hash=prev, hash=digest))
    _write_chain(desk, GLOBEX_ID, forged)

    plain, anchored = _verdicts(desk, path)

    assert plain[GLOBEX_ID] == []
    assert any("re-written" in p for p in anchored[GLOBEX_ID])


def test_an_escalation_deleted_with_all_its_entries_is_caught_only_by_the_anchor(
    desk: Desk, tmp_path: Path
) -> None:
    path = _opened(desk, tmp_path)
    engine = _engine(desk)
    with engine.begin() as c:
        c.execute(text("DELETE FROM audit_entries WHERE escalation_id = :e"), {"e": FREEZE_ID})
        c.execute(text("DELETE FROM escalations WHERE id = :e"), {"e": FREEZE_ID})

    plain, anchored = _verdicts(desk, path)

    assert plain == {GLOBEX_ID: []}
    assert any("gone" in p for p in anchored[FREEZE_ID])


def test_entries_of_an_escalation_without_a_row_are_reported(desk: Desk, tmp_path: Path) -> None:
    path = _opened(desk, tmp_path)
    with _engine(desk).begin() as c:
        c.execute(text("DELETE FROM escalations WHERE id = :e"), {"e": FREEZE_ID})

    _, anchored = _verdicts(desk, path)

    assert any("has no row" in p for p in anchored[FREEZE_ID])


def test_stored_state_holds_and_waivers_that_disagree_with_the_log_are_reported(desk: Desk) -> None:
    desk.open(GLOBEX)
    hold_slots(desk.deps, GLOBEX_ID, EM)
    live = desk.live_holds(GLOBEX_ID)
    assert verify_audit(desk.deps) == {GLOBEX_ID: []}
    with _engine(desk).begin() as c:
        c.execute(text("UPDATE escalations SET state = 'confirmed' WHERE id = :e"), {"e": GLOBEX_ID})
        c.execute(text("UPDATE holds SET status = 'released' WHERE id = :h"), {"h": live[0].id})
        c.execute(
            text(
                "INSERT INTO waivers (escalation_id, request_id, slot_start, slot_end, family, approved_by, "
                "approved_at, reason) VALUES (:e, 1, :s, :t, 'COVERAGE', 'mallory', :s, 'none')"
            ),
            {"e": GLOBEX_ID, "s": live[1].slot.start, "t": live[1].slot.end},
        )

    found = verify_audit(desk.deps)[GLOBEX_ID]

    assert any("stored state confirmed" in p for p in found)
    assert any("live holds on" in p and "0 in the ledger, 1 by the log" in p for p in found)
    assert any("waiver of COVERAGE" in p and "never recorded" in p for p in found)


def test_an_anchor_file_line_that_is_not_an_anchor_is_named(tmp_path: Path) -> None:
    path = tmp_path / "anchors.jsonl"
    append_anchor(path, Anchor(datetime(2026, 1, 1, tzinfo=UTC), {}, None))
    with path.open("a") as out:
        out.write('{"escalations": 3}\n')
    with pytest.raises(ReadoutError, match="line 2"):
        read_anchors(path)


def test_an_anchor_is_posted_to_the_leadership_channel_when_one_is_configured(
    desk: Desk, tmp_path: Path
) -> None:
    desk.open(FREEZE)
    desk.open(GLOBEX)
    channel = MemoryChannel()
    deps = dataclasses.replace(desk.deps, channel=channel)

    anchor = anchor_heads(deps)

    posted = [p for p in channel.posted if p.key.startswith("channel:audit-anchor:")]
    assert len(posted) == 1
    for esc_id, (seq, digest) in anchor.escalations.items():
        assert f"{esc_id}: {seq} {digest}" in posted[0].message.text
    filed = [e for e in (GLOBEX_ID, FREEZE_ID) if "channel_posted" in desk.kinds(e)]
    assert len(filed) == 1  # filed with one escalation (the runner needs one), recorded in its log
    # The anchored head is still in the chain after the post's own entry was appended.
    path = tmp_path / "a.jsonl"
    append_anchor(path, anchor)
    assert not any(verify_anchors(desk.deps, read_anchors(path)).values())


def test_anchor_if_due_anchors_again_only_after_the_interval(desk: Desk, tmp_path: Path) -> None:
    desk.open(GLOBEX)
    path = tmp_path / "anchors.jsonl"
    hour = timedelta(hours=1)

    assert anchor_if_due(desk.deps, path, hour) is not None  # no anchor yet: one is taken
    desk.clock.advance(minutes=30)
    assert anchor_if_due(desk.deps, path, hour) is None
    desk.clock.advance(minutes=31)
    assert anchor_if_due(desk.deps, path, hour) is not None
    assert len(path.read_text().splitlines()) == 2


def test_entries_of_an_escalation_without_a_row_are_reported_without_an_anchor(
    desk: Desk, tmp_path: Path
) -> None:
    _opened(desk, tmp_path)
    with _engine(desk).begin() as c:
        c.execute(text("DELETE FROM escalations WHERE id = :e"), {"e": FREEZE_ID})

    plain = verify_audit(desk.deps)  # the log lists the escalations it has entries for

    assert plain[GLOBEX_ID] == []
    assert any("no row" in p for p in plain[FREEZE_ID])
