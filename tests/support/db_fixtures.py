"""Database fixtures any test folder can use: the store on memory, SQLite and PostgreSQL.

Use from a folder's ``conftest.py`` (``pytest_plugins`` only works in the top-level conftest)::

    from tests.support.db_fixtures import postgres_url, uow_factory  # noqa: F401

* ``uow_factory`` (function scope, parametrized ``memory`` / ``sqlite`` / ``postgresql``): a ``Store``, a
  zero-argument callable returning a fresh UnitOfWork on a clean database migrated to head. It also carries
  ``backend``, ``url`` and ``engine`` (None for memory) for tests that look underneath (tamper tests; child
  processes). Deselect a backend with ``-k "not postgresql"``.
* ``sql_uow_factory``: the same without the memory twin, for tests only a real database can answer.
* ``blank_database_url`` (``sqlite`` / ``postgresql``): the URL of an empty, never-migrated database.
* ``postgres_url`` (session): ``READOUT_TEST_POSTGRES_URL`` when set (CI can start one server for the
  run), else a throwaway cluster started once per test run, whichever conftest asked for it first. If
  PostgreSQL cannot start the tests error out; they are never skipped.

Each PostgreSQL test gets its own database, copied from a template database migrated once per run
(``CREATE DATABASE ... TEMPLATE``, a few milliseconds), and dropped afterwards.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from readout.adapters.memory.store import MemoryStore, MemoryUnitOfWork
from readout.adapters.sql import SqlUnitOfWork, create_engine_from_url, migrate
from readout.adapters.sql.tables import APPEND_ONLY_TRIGGERS
from readout.services.ports import UnitOfWork
from tests.support.postgres import PostgresUnavailable, throwaway_postgres

__all__ = [
    "BACKENDS",
    "Store",
    "blank_database_url",
    "drop_append_only_guard",
    "postgres_url",
    "sql_uow_factory",
    "uow_factory",
]

BACKENDS = ("memory", "sqlite", "postgresql")
POSTGRES_URL_VARIABLE = "READOUT_TEST_POSTGRES_URL"


@dataclass
class Store:
    """A clean store for one test; calling it gives a new unit of work on it."""

    backend: str
    url: str | None = None
    engine: Engine | None = None
    memory: MemoryStore = field(default_factory=MemoryStore)

    def __call__(self) -> UnitOfWork:
        return SqlUnitOfWork(self.engine) if self.engine is not None else MemoryUnitOfWork(self.memory)


def drop_append_only_guard(engine: Engine) -> None:
    """Drop the triggers that keep audit entries append-only, as a malicious DBA would (tamper tests)."""
    dialect = engine.dialect.name
    with engine.begin() as connection:
        for name in APPEND_ONLY_TRIGGERS[dialect]:
            on_table = " ON audit_entries" if dialect == "postgresql" else ""
            connection.execute(text(f"DROP TRIGGER IF EXISTS {name}{on_table}"))


class _PostgresServer:
    """One server per test run, shared by every conftest that imports these fixtures."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.admin = create_engine_from_url(url, isolation_level="AUTOCOMMIT")
        self._names = (f"readout_test_{os.getpid()}_{n}" for n in itertools.count())
        self._template: str | None = None

    def database_url(self, name: str) -> str:
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)

    def create(self, *, migrated: bool) -> str:
        name = next(self._names)
        template = f" TEMPLATE {self._migrated_template()}" if migrated else ""
        with self.admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}{template}"))
        return name

    def drop(self, name: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))

    def _migrated_template(self) -> str:
        if self._template is None:
            name = self.create(migrated=False)
            engine = create_engine_from_url(self.database_url(name))
            try:
                migrate(engine)
            finally:
                engine.dispose()  # CREATE DATABASE ... TEMPLATE needs the template to have no sessions
            self._template = name
        return self._template

    def close(self) -> None:
        if self._template is not None:
            self.drop(self._template)
        self.admin.dispose()


_SERVER = pytest.StashKey["_PostgresServer | PostgresUnavailable"]()


def _server(config: pytest.Config) -> _PostgresServer:
    if _SERVER not in config.stash:
        config.stash[_SERVER] = _start_server(config)
    server = config.stash[_SERVER]
    if isinstance(server, PostgresUnavailable):
        raise server  # fail every PostgreSQL test with the reason, without trying to start it again
    return server


def _start_server(config: pytest.Config) -> _PostgresServer | PostgresUnavailable:
    stack = ExitStack()
    config.add_cleanup(stack.close)
    try:
        url = os.environ.get(POSTGRES_URL_VARIABLE, "").strip() or stack.enter_context(throwaway_postgres())
    except PostgresUnavailable as error:
        return error
    server = _PostgresServer(url)
    stack.callback(server.close)
    return server


@pytest.fixture(scope="session")
def postgres_url(request: pytest.FixtureRequest) -> str:
    """URL of the run's PostgreSQL server (its maintenance database)."""
    return _server(request.config).url


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _open_store(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if backend == "memory":
        yield Store("memory")
        return
    with ExitStack() as stack:
        if backend == "sqlite":
            url = _sqlite_url(tmp_path / "readout.db")
        else:
            server = _server(request.config)
            name = server.create(migrated=True)
            stack.callback(server.drop, name)
            url = server.database_url(name)
        engine = create_engine_from_url(url)
        stack.callback(engine.dispose)  # runs before the drop: callbacks unwind last in, first out
        if backend == "sqlite":
            migrate(engine)
        yield Store(backend, url, engine)


@pytest.fixture(params=BACKENDS)
def uow_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A clean migrated store on each backend; call it for a new unit of work."""
    yield from _open_store(request.param, request, tmp_path)


@pytest.fixture(params=BACKENDS[1:])
def sql_uow_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Like ``uow_factory``, on the real databases only."""
    yield from _open_store(request.param, request, tmp_path)


@pytest.fixture(params=BACKENDS[1:])
def blank_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database that was never migrated."""
    if request.param == "sqlite":
        yield _sqlite_url(tmp_path / "blank.db")
        return
    server = _server(request.config)
    name = server.create(migrated=False)
    try:
        yield server.database_url(name)
    finally:
        server.drop(name)
