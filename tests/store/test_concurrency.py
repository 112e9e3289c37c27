"""Two real processes racing on the same file-backed SQLite database or the same PostgreSQL database."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from typing import Any

from readout.domain.audit import verify_chain
from tests.store import racers
from tests.store.builders import escalation
from tests.support.db_fixtures import Store

RACE_TIMEOUT_SECONDS = 90


def _race(target: Callable[..., None], url: str, *extra: tuple[Any, ...]) -> tuple[list[str], float]:
    """Run ``target`` in two spawned processes released by one barrier; their reports and the race's length."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(extra))
    results = context.Queue()
    racing = [context.Process(target=target, args=(url, barrier, results, *args)) for args in extra]
    for process in racing:
        process.start()
    started = time.monotonic()
    reports = [results.get(timeout=RACE_TIMEOUT_SECONDS) for _ in racing]
    for process in racing:
        process.join(RACE_TIMEOUT_SECONDS)
        assert process.exitcode == 0
    return sorted(reports), time.monotonic() - started


def test_two_processes_holding_the_same_slot_get_exactly_one_hold(sql_uow_factory: Store) -> None:
    assert sql_uow_factory.url is not None

    reports, _ = _race(racers.hold_the_slot, sql_uow_factory.url, (), ())

    assert reports == ["held", "refused"]
    with sql_uow_factory() as uow:
        assert len(uow.holds.of("ESC-1")) == 1


def test_two_processes_saving_the_same_escalation_lose_no_update(sql_uow_factory: Store) -> None:
    assert sql_uow_factory.url is not None
    with sql_uow_factory() as uow:
        uow.escalations.add(escalation())
        uow.commit()

    reports, took = _race(racers.note_on_the_escalation, sql_uow_factory.url, ("pm.ana",), ("pm.bob",))

    # get() locks the row, so the second process waits for the first and then builds on its save.
    assert reports == ["saved", "saved"]
    assert took >= 2 * racers.OVERLAP_SECONDS
    with sql_uow_factory() as uow:
        final = uow.escalations.get("ESC-1")
        entries = uow.audit.entries("ESC-1")
    assert final is not None and final.version == 2
    assert sorted(e.actor for e in entries) == ["pm.ana", "pm.bob"]
    assert verify_chain(entries, final.audit_seq, final.audit_head) == []
