"""Migrations, the append-only audit table, and how engines are made."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from readout.adapters.sql import (
    create_engine_from_url,
    current_revision,
    default_database_url,
    head_revision,
    migrate,
)
from readout.adapters.sql.engine import BUSY_TIMEOUT_SECONDS
from readout.adapters.sql.tables import LIVE_HOLD_INDEX, metadata
from readout.domain.lifecycle import Action
from tests.adapters.sql.builders import at, escalation
from tests.support.db_fixtures import Store, drop_append_only_guard

TABLES = {
    "case_versions",
    "escalations",
    "plans",
    "holds",
    "exception_requests",
    "waivers",
    "audit_entries",
    "users",
    "effects",
    "user_audit_entries",
    "user_audit_head",
    "passwords",
    "sessions",
    "api_tokens",
    "login_failures",
    "idempotency_keys",
    "pick_links",
    "slack_requests",
    "calendar_marks",
}


def test_migrating_an_empty_database_creates_every_table(blank_database_url: str) -> None:
    engine = create_engine_from_url(blank_database_url)
    try:
        assert current_revision(engine) is None
        migrate(engine)
        assert current_revision(engine) == head_revision()
        schema = inspect(engine)
        assert set(schema.get_table_names()) == TABLES | {"alembic_version"}
        live = next(i for i in schema.get_indexes("holds") if i["name"] == LIVE_HOLD_INDEX)
        assert live["unique"]
        assert live["column_names"] == ["escalation_id", "slot_start"]
    finally:
        engine.dispose()


def test_migrating_twice_changes_nothing(blank_database_url: str) -> None:
    engine = create_engine_from_url(blank_database_url)
    try:
        migrate(engine)
        with engine.connect() as connection:
            before = MigrationContext.configure(connection).get_current_heads()
        migrate(engine)
        with engine.connect() as connection:
            assert MigrationContext.configure(connection).get_current_heads() == before
            assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    finally:
        engine.dispose()


def test_the_migrations_build_exactly_the_tables_the_code_describes(sql_uow_factory: Store) -> None:
    assert sql_uow_factory.engine is not None
    with sql_uow_factory.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def _store_one_audited_escalation(store: Store) -> None:
    new = escalation()
    new.transition(Action.PLAN, at(3, 9), "pm.ana", {"status": "ready"})
    with store() as uow:
        uow.escalations.add(new)
        uow.commit()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_entries SET actor = 'mallory'",
        "UPDATE audit_entries SET payload = '{}' WHERE seq = 1",
        "DELETE FROM audit_entries",
    ],
)
def test_the_database_refuses_to_change_or_delete_audit_entries(
    sql_uow_factory: Store, statement: str
) -> None:
    _store_one_audited_escalation(sql_uow_factory)
    assert sql_uow_factory.engine is not None

    with pytest.raises(IntegrityError, match="append-only"), sql_uow_factory.engine.begin() as connection:
        connection.execute(text(statement))

    with sql_uow_factory() as uow:
        assert [(e.seq, e.actor) for e in uow.audit.entries("ESC-1")] == [(1, "pm.ana")]


@pytest.mark.parametrize("sql_uow_factory", ["postgresql"], indirect=True)  # SQLite has no TRUNCATE
def test_postgresql_refuses_to_truncate_audit_entries(sql_uow_factory: Store) -> None:
    _store_one_audited_escalation(sql_uow_factory)
    assert sql_uow_factory.engine is not None
    with pytest.raises(IntegrityError, match="append-only"), sql_uow_factory.engine.begin() as connection:
        connection.execute(text("TRUNCATE audit_entries"))


def test_a_dba_who_drops_the_guard_can_edit_entries(sql_uow_factory: Store) -> None:
    # What tamper tests rely on: once the triggers are gone, the database lets edits through.
    _store_one_audited_escalation(sql_uow_factory)
    assert sql_uow_factory.engine is not None
    drop_append_only_guard(sql_uow_factory.engine)

    with sql_uow_factory.engine.begin() as connection:
        connection.execute(text("UPDATE audit_entries SET actor = 'mallory'"))

    with sql_uow_factory() as uow:
        assert [e.actor for e in uow.audit.entries("ESC-1")] == ["mallory"]


def test_the_default_database_is_a_sqlite_file_in_the_xdg_data_folder(tmp_path: Path) -> None:
    url = default_database_url({"XDG_DATA_HOME": str(tmp_path / "data"), "HOME": str(tmp_path / "home")})
    assert url == f"sqlite:///{tmp_path / 'data' / 'readout' / 'readout.db'}"
    assert (tmp_path / "data" / "readout").is_dir()


def test_without_xdg_data_home_the_database_is_under_local_share(tmp_path: Path) -> None:
    for environ in ({"HOME": str(tmp_path)}, {"HOME": str(tmp_path), "XDG_DATA_HOME": "relative/ignored"}):
        url = default_database_url(environ)
        assert url == f"sqlite:///{tmp_path / '.local' / 'share' / 'readout' / 'readout.db'}"


def test_readout_database_url_wins(tmp_path: Path) -> None:
    url = "postgresql://readout@db.internal/readout"
    assert default_database_url({"READOUT_DATABASE_URL": url, "XDG_DATA_HOME": str(tmp_path)}) == url
    assert not (tmp_path / "readout").exists()


@pytest.mark.parametrize("url", ["postgresql://u@127.0.0.1/x", "postgres://u@127.0.0.1/x"])
def test_postgresql_urls_use_psycopg_3(url: str) -> None:
    engine = create_engine_from_url(url)
    assert engine.dialect.driver == "psycopg"


def test_sqlite_files_use_wal_and_wait_for_the_write_lock(tmp_path: Path) -> None:
    engine = create_engine_from_url(f"sqlite:///{tmp_path / 'r.db'}")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == BUSY_TIMEOUT_SECONDS * 1000
    finally:
        engine.dispose()
