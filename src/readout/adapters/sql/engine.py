"""Engines for the SQL store: which database, and how each backend is made to serialise writers.

Choices:

* ``READOUT_DATABASE_URL`` names the database; without it Readout keeps a SQLite file in the user's data
  folder (``$XDG_DATA_HOME/readout/readout.db``, else ``~/.local/share/readout/readout.db``), so one person
  on one machine needs no server.
* PostgreSQL URLs always use psycopg 3: a bare ``postgresql://`` (or Heroku's ``postgres://``) would make
  SQLAlchemy look for psycopg2, which Readout does not ship.
* SQLite: every transaction starts with ``BEGIN IMMEDIATE``. The store reads a row and then writes it back;
  SQLite's default deferred ``BEGIN`` would let two processes both read, and the second to write would then
  fail at once with "database is locked" (a busy handler cannot help a reader that wants to become a
  writer). Taking the write lock up front makes a second process wait its turn (busy timeout 30 s) instead,
  which is what ``SELECT ... FOR UPDATE`` gives on PostgreSQL. The price is that units of work run one at
  a time on SQLite, which suits a single-team tool; they hold the lock for milliseconds, since no calendar
  or mail call happens inside a transaction. Read-only units of work (status, list, audit) begin deferred
  and never wait for a writer. The driver's own transaction handling is switched off
  (``isolation_level = None``) so that SQLAlchemy's ``BEGIN`` is the only one and savepoints nest properly.
* SQLite, inside one process (``readout serve`` runs requests on threads): writers also queue on a lock of
  the engine's (``writer_lock``) before they begin. SQLite's busy handler, which a writer waiting for
  another falls back to, sleeps in growing steps (up to 100 ms) and wakes at random, so under twenty
  concurrent requests some waited a second for a lock held a few milliseconds; a lock hands over at once.
  Other processes still meet the busy timeout.
* SQLite files use WAL journaling, so readers outside a unit of work are not blocked by a writer, with
  ``synchronous=NORMAL`` (durable across application crashes; WAL keeps the file consistent on power loss).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.pool import ConnectionPoolEntry

__all__ = ["BUSY_TIMEOUT_SECONDS", "create_engine_from_url", "default_database_url", "writer_lock"]

BUSY_TIMEOUT_SECONDS = 15  # writers hold the lock for milliseconds: no network I/O inside a transaction
_DATABASE_URL_VARIABLE = "READOUT_DATABASE_URL"


def default_database_url(environ: Mapping[str, str]) -> str:
    """``READOUT_DATABASE_URL``, else a SQLite file in the user's data folder (the folder is created)."""
    url = environ.get(_DATABASE_URL_VARIABLE, "").strip()
    if url:
        return url
    data_home = environ.get("XDG_DATA_HOME", "").strip()
    # XDG says a relative XDG_DATA_HOME is invalid and must be ignored.
    base = Path(data_home) if data_home and os.path.isabs(data_home) else _home(environ) / ".local" / "share"
    folder = base / "readout"
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'readout.db'}"


def _home(environ: Mapping[str, str]) -> Path:
    home = environ.get("HOME", "").strip()
    return Path(home) if home else Path.home()


def create_engine_from_url(url: str | URL, **options: Any) -> Engine:
    """An engine for ``url`` with Readout's locking set up (see the module docstring)."""
    parsed = _normalised(make_url(url))
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, options)
    return create_engine(parsed, pool_pre_ping=True, **options)


def _normalised(url: URL) -> URL:
    if url.drivername in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+psycopg")
    return url


_WRITERS: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()


def writer_lock(engine: Engine) -> threading.RLock | None:
    """The lock this process's writers on a SQLite ``engine`` take before they begin (None for other
    databases, whose row locks already queue writers fairly)."""
    return _WRITERS.get(engine)


def _sqlite_engine(url: URL, options: dict[str, Any]) -> Engine:
    file_backed = url.database not in (None, "", ":memory:") and "mode=memory" not in str(url)
    connect_args = {"timeout": BUSY_TIMEOUT_SECONDS, **options.pop("connect_args", {})}
    engine = create_engine(url, connect_args=connect_args, **options)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
            if file_backed:
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        read_only = connection.get_execution_options().get("readout_read_only", False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    _WRITERS[engine] = threading.RLock()
    return engine
