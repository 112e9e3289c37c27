"""Two real processes racing on the same file-backed SQLite database or the same PostgreSQL database."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import Any

from readout.domain.audit import verify_chain
from tests.adapters.sql import racers
from tests.adapters.sql.builders import escalation
from tests.support.db_fixtures import Store

RACE_TIMEOUT_SECONDS = 90


def _race(target: Callable[..., None], url: str, *extra: tuple[Any, ...]) -> list[racers.Report]:
    """Run ``target`` in spawned processes released by one barrier; their reports, first served first."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(extra))
    results = context.Queue()
    racing = [context.Process(target=target, args=(url, barrier, results, *args)) for args in extra]
    for process in racing:
        process.start()
    reports = [results.get(timeout=RACE_TIMEOUT_SECONDS) for _ in racing]
    for process in racing:
        process.join(RACE_TIMEOUT_SECONDS)
        assert process.exitcode == 0
    return sorted(reports, key=lambda report: report.got)


def _were_simultaneous(reports: list[racers.Report]) -> bool:
    """Both had started their unit of work before either finished it."""
    return max(r.started for r in reports) < min(r.finished for r in reports)


def test_two_processes_holding_the_same_slot_get_exactly_one_hold(sql_uow_factory: Store) -> None:
    assert sql_uow_factory.url is not None

    reports = _race(racers.hold_the_slot, sql_uow_factory.url, (), ())

    assert sorted(r.outcome for r in reports) == ["held", "refused"]
    assert _were_simultaneous(reports)
    with sql_uow_factory() as uow:
        assert len(uow.holds.of("ESC-1")) == 1


def test_two_processes_saving_the_same_escalation_lose_no_update(sql_uow_factory: Store) -> None:
    assert sql_uow_factory.url is not None
    with sql_uow_factory() as uow:
        uow.escalations.add(escalation())
        uow.commit()

    first, second = _race(racers.note_on_the_escalation, sql_uow_factory.url, ("pm.ana",), ("pm.bob",))

    assert (first.outcome, second.outcome) == ("saved", "saved")
    assert _were_simultaneous([first, second])
    # get() locked the row: the second process got it only after the first had held it and committed.
    assert second.got - first.got >= racers.OVERLAP_SECONDS
    with sql_uow_factory() as uow:
        final = uow.escalations.get("ESC-1")
        entries = uow.audit.entries("ESC-1")
    assert final is not None
    assert final.version == 2
    assert sorted(e.actor for e in entries) == ["pm.ana", "pm.bob"]
    assert verify_chain(entries, final.audit_seq, final.audit_head) == []
