"""Writers of one process on SQLite queue on a lock of the engine's (adapters/sql/engine.py ``writer_lock``)
instead of SQLite's sleeping busy handler; readers never wait for them."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from readout.adapters.sql import SqlUnitOfWork, create_engine_from_url, migrate
from readout.adapters.sql.engine import writer_lock
from readout.errors import StoreUnavailable


def _free(engine: Engine) -> bool:
    """Whether another thread could take the writers' lock now (it is re-entrant: this thread always could)."""
    lock, got = writer_lock(engine), []
    assert lock is not None

    def take() -> None:
        got.append(lock.acquire(blocking=False))
        if got[0]:
            lock.release()

    taker = threading.Thread(target=take)
    taker.start()
    taker.join(10)
    return got == [True]


def test_a_second_writer_waits_for_the_first_and_a_reader_does_not(tmp_path: Path) -> None:
    engine = create_engine_from_url(f"sqlite:///{tmp_path / 'store.db'}")
    migrate(engine)
    order: list[str] = []
    first_in, release = threading.Event(), threading.Event()

    def first() -> None:
        with SqlUnitOfWork(engine) as uow:
            assert uow._connection is not None
            uow._connection.execute(text("SELECT 1"))
            order.append("first in")
            first_in.set()
            release.wait(10)
            order.append("first out")

    def second() -> None:
        first_in.wait(10)
        with SqlUnitOfWork(engine):
            order.append("second in")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_in.wait(10)
    with SqlUnitOfWork(engine, read_only=True) as looking:  # a reader goes ahead while the writer holds on
        assert looking._connection is not None
        looking._connection.execute(text("SELECT 1"))
        order.append("reader")
    time.sleep(0.2)
    release.set()
    for thread in threads:
        thread.join(10)
    assert order == ["first in", "reader", "first out", "second in"]
    assert _free(engine)  # nothing left holding it


def test_a_unit_of_work_that_fails_to_open_leaves_the_queue(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "store.db"
    engine = create_engine_from_url(f"sqlite:///{missing}")
    with pytest.raises(StoreUnavailable), SqlUnitOfWork(engine):
        pass
    assert _free(engine)
