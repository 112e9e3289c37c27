"""The reaper's turn on a shared store: one worker at a time reaps expired holds (``services.worker``).

On PostgreSQL the turn is a transaction-level advisory lock (``pg_try_advisory_xact_lock``) held on a
connection of its own for as long as the reaping runs: a second worker does not wait for it, it is told
"not your turn" and reaps on a later pass. The lock belongs to the transaction, so it is given back when the
reaping ends, and by the server when a worker dies (its connection goes). Reaping one escalation takes that
escalation's row lock too, so even without the turn nothing would be expired twice; the turn keeps two workers
from doing the same work (and listing the same calendars for orphans) at once.

Other databases (SQLite, a single writer at a time anyway) always give the turn.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from readout.adapters.sql.failures import store_failure

__all__ = ["REAPER_LOCK", "reaper_turn"]

REAPER_LOCK = 0x5245_4150  # "REAP": the advisory lock's key (advisory locks are per database: one per store)


def reaper_turn(engine: Engine) -> AbstractContextManager[bool]:
    """A context giving True when this process may reap now, False when another worker is reaping."""
    return _turn(engine)


@contextmanager
def _turn(engine: Engine) -> Iterator[bool]:
    if engine.dialect.name != "postgresql":
        yield True
        return
    try:
        connection = engine.connect()
    except DBAPIError as error:
        raise store_failure(error, engine.url) from None
    with connection:
        try:
            transaction = connection.begin()
            query = text("SELECT pg_try_advisory_xact_lock(:key)")
            got = bool(connection.execute(query, {"key": REAPER_LOCK}).scalar())
        except DBAPIError as error:
            raise store_failure(error, engine.url) from None
        try:
            yield got
        finally:
            transaction.rollback()  # ends the transaction, and with it the lock
