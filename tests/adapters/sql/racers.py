"""What each racing process does in the concurrency tests (a module of its own so "spawn" can import it).

Each racer connects first, waits at the barrier so that both start their unit of work at the same moment,
keeps its transaction open a little while so the other one is surely trying at the same time, and reports
what happened: "held" / "refused", "saved" / "conflict", or the error it hit, with monotonic timestamps
(CLOCK_MONOTONIC is one clock for every process on the machine).
"""

from __future__ import annotations

import time
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import NamedTuple

from readout.adapters.sql import SqlUnitOfWork, create_engine_from_url
from readout.errors import Conflict
from tests.adapters.sql.builders import at, hold

OVERLAP_SECONDS = 0.3
BARRIER_TIMEOUT_SECONDS = 60


class Report(NamedTuple):
    """One racer's outcome; ``got`` is when its first store call returned (a lock, if any, was granted)."""

    outcome: str
    started: float
    got: float
    finished: float


def hold_the_slot(url: str, barrier: Barrier, results: Queue[Report]) -> None:
    """Try to record a live hold of ESC-1's slot on the 10th on Dana's calendar."""
    engine = create_engine_from_url(url)
    started = got = time.monotonic()
    try:
        engine.connect().close()  # connection set-up is not part of the race
        barrier.wait(BARRIER_TIMEOUT_SECONDS)
        started = time.monotonic()
        with SqlUnitOfWork(engine) as uow:
            placed = uow.holds.add(hold())
            got = time.monotonic()
            time.sleep(OVERLAP_SECONDS)
            uow.commit()
        results.put(Report("held" if placed is not None else "refused", started, got, time.monotonic()))
    except Exception as error:
        results.put(Report(f"error: {error!r}", started, got, time.monotonic()))
    finally:
        engine.dispose()


def note_on_the_escalation(url: str, barrier: Barrier, results: Queue[Report], actor: str) -> None:
    """Get ESC-1, append an audit entry as ``actor`` and save it."""
    engine = create_engine_from_url(url)
    started = got = time.monotonic()
    try:
        engine.connect().close()
        barrier.wait(BARRIER_TIMEOUT_SECONDS)
        started = time.monotonic()
        with SqlUnitOfWork(engine) as uow:
            found = uow.escalations.get("ESC-1")
            got = time.monotonic()
            assert found is not None
            found.record(at(4, 9), actor, "note", {"by": actor})
            time.sleep(OVERLAP_SECONDS)
            uow.escalations.save(found)
            uow.commit()
        results.put(Report("saved", started, got, time.monotonic()))
    except Conflict:
        results.put(Report("conflict", started, got, time.monotonic()))
    except Exception as error:
        results.put(Report(f"error: {error!r}", started, got, time.monotonic()))
    finally:
        engine.dispose()
