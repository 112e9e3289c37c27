"""Issue 9, item 7 (and item 3): a store that cannot be used gives one line and exit 5, never a traceback;
a bad database URL is bad input (exit 2); a writer holding SQLite's lock does not stop anyone from looking."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, event

from readout.adapters.sql import SqlUnitOfWork, create_engine_from_url, migrate
from readout.adapters.sql import engine as engine_module
from readout.domain.users import Role, User
from readout.errors import StoreUnavailable

READOUT = str(Path(sys.executable).parent / "readout")
EXIT_BAD_INPUT, EXIT_STORE = 2, 5


def _readout(url: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {"READOUT_DATABASE_URL": url, "PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}
    return subprocess.run(
        [READOUT, *args], capture_output=True, text=True, env=env, timeout=timeout, check=False
    )


def _one_line(ran: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in ran.stderr
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1, ran.stderr
    return lines[0]


def _migrated(path: Path) -> str:
    url = f"sqlite:///{path}"
    engine = create_engine_from_url(url)
    migrate(engine)
    engine.dispose()
    return url


def test_a_database_path_that_is_a_directory_is_one_line_and_exit_5(tmp_path: Path) -> None:
    ran = _readout(f"sqlite:///{tmp_path}", "list")
    assert ran.returncode == EXIT_STORE
    assert "cannot open the store" in _one_line(ran)


def test_a_read_only_database_is_one_line_and_exit_5(tmp_path: Path) -> None:
    path = tmp_path / "readout.db"
    _migrated(path)
    users = tmp_path / "users.yaml"
    users.write_text(
        "users:\n  - {id: ada, name: Ada Admin, email: ada@example.com, roles: [administrator]}\n",
        encoding="utf-8",
    )
    ran = _readout(f"sqlite:///file:{path}?mode=ro&uri=true", "users", "import", str(users))
    assert ran.returncode == EXIT_STORE
    assert "read-only" in _one_line(ran)


def test_a_bad_database_url_is_bad_input(tmp_path: Path) -> None:
    ran = _readout("this is not a url", "list")
    assert ran.returncode == EXIT_BAD_INPUT
    assert "READOUT_DATABASE_URL" in _one_line(ran)


def test_postgresql_down_is_one_line_and_exit_5_without_the_password() -> None:
    ran = _readout("postgresql://readout:s3cret-pw@127.0.0.1:1/readout", "list")
    assert ran.returncode == EXIT_STORE
    line = _one_line(ran)
    assert "cannot reach the database server" in line
    assert "s3cret-pw" not in line


def test_a_full_disk_is_one_line_and_changes_nothing(tmp_path: Path) -> None:
    engine = create_engine_from_url(_migrated(tmp_path / "readout.db"))

    @event.listens_for(engine, "connect")
    def _tiny(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.execute("PRAGMA max_page_count = 1")  # as if the disk were full

    people = [
        User(f"u{i}", f"User {i}" * 200, f"u{i}@example.com", frozenset({Role.DUTY_MANAGER}))
        for i in range(50)
    ]
    with pytest.raises(StoreUnavailable, match="no space left"):
        _put_all(engine, people)
    engine.dispose()


def _put_all(engine: Engine, people: list[User]) -> None:
    with SqlUnitOfWork(engine) as uow:
        for person in people:
            uow.users.put(person)
        uow.commit()


def test_a_writer_holding_the_lock_makes_others_wait_then_say_busy_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "readout.db"
    url = _migrated(path)
    monkeypatch.setattr(engine_module, "BUSY_TIMEOUT_SECONDS", 0.2)
    engine = create_engine_from_url(url)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreUnavailable, match="busy"), SqlUnitOfWork(engine) as uow:
            uow.users.list()
        with SqlUnitOfWork(engine, read_only=True) as uow:  # looking never waits for the writer
            assert uow.users.list() == []
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        engine.dispose()


def test_status_list_and_audit_verify_work_while_another_process_holds_the_write_lock(tmp_path: Path) -> None:
    path = tmp_path / "readout.db"
    url = _migrated(path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        for args in (("list",), ("audit", "verify"), ("status", "ESC-1")):
            ran = _readout(url, *args, timeout=10)
            assert "Traceback" not in ran.stderr
            assert "busy" not in ran.stderr
            assert ran.returncode in (0, EXIT_BAD_INPUT)  # ESC-1 is unknown: bad input, not a lock
    finally:
        holder.execute("ROLLBACK")
        holder.close()
