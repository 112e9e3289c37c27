"""The users chain in the store: the contract of the UserAudit port, its append-only guard, and migration 0004
putting the users stored before it on record."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from readout.adapters.sql import SqlUnitOfWork, create_engine_from_url, migrate
from readout.adapters.sql.tables import USER_AUDIT_TRIGGERS
from readout.domain.audit import GENESIS, AuditEntry, chain
from readout.domain.roster import USERS_CHAIN, verify_users
from readout.errors import Conflict
from tests.adapters.sql.builders import at
from tests.support.db_fixtures import Store

MIGRATIONS = Path(__file__).resolve().parents[3] / "src" / "readout" / "adapters" / "sql" / "migrations"


def entry(head: tuple[int, str], day: int = 3, actor: str = "ada") -> AuditEntry:
    return chain(
        *head, USERS_CHAIN, at(day, 9, 30, 123456), actor, "users_imported", {"users": [], "n": 1e20}
    )


def append(store: Store, day: int = 3) -> AuditEntry:
    with store() as uow:
        head = uow.user_audit.head()
        assert head is not None
        new = entry(head, day)
        uow.user_audit.append(new)
        uow.commit()
    return new


def test_a_new_store_has_an_empty_chain(uow_factory: Store) -> None:
    with uow_factory() as uow:
        assert uow.user_audit.head() == (0, GENESIS)
        assert uow.user_audit.entries() == []


def test_appended_entries_come_back_as_hashed_and_move_the_head(uow_factory: Store) -> None:
    first, second = append(uow_factory, 3), append(uow_factory, 4)

    with uow_factory() as uow:
        assert uow.user_audit.entries() == [first, second]
        assert uow.user_audit.head() == (2, second.hash)
        assert verify_users(uow.user_audit.entries(), 2, second.hash, []) == []


def test_an_entry_that_does_not_follow_the_head_is_a_conflict(uow_factory: Store) -> None:
    first = append(uow_factory)

    with uow_factory() as uow:
        with pytest.raises(Conflict, match="changed by someone else"):
            uow.user_audit.append(entry((0, GENESIS), 5))  # written from a head read before ``first``
        uow.commit()

    with uow_factory() as uow:
        assert uow.user_audit.entries() == [first]
        assert uow.user_audit.head() == (1, first.hash)


def test_an_import_left_without_commit_leaves_no_trace(uow_factory: Store) -> None:
    with uow_factory() as uow:
        uow.user_audit.append(entry((0, GENESIS)))

    with uow_factory() as uow:
        assert (uow.user_audit.head(), uow.user_audit.entries()) == ((0, GENESIS), [])


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE user_audit_entries SET actor = 'mallory'",
        "DELETE FROM user_audit_entries",
        "DELETE FROM user_audit_head",
        "UPDATE user_audit_head SET seq = 0, hash = '" + GENESIS + "'",  # back to an empty chain
        "UPDATE user_audit_head SET seq = 5",  # forward, but not one entry
    ],
)
def test_the_database_refuses_to_rewrite_the_users_chain(sql_uow_factory: Store, statement: str) -> None:
    first = append(sql_uow_factory)
    assert sql_uow_factory.engine is not None

    with pytest.raises(IntegrityError, match="append-only"), sql_uow_factory.engine.begin() as connection:
        connection.execute(text(statement))

    with sql_uow_factory() as uow:
        assert (uow.user_audit.head(), uow.user_audit.entries()) == ((1, first.hash), [first])


@pytest.mark.parametrize("sql_uow_factory", ["postgresql"], indirect=True)  # SQLite has no TRUNCATE
@pytest.mark.parametrize("table", ["user_audit_entries", "user_audit_head"])
def test_postgresql_refuses_to_truncate_the_users_chain(sql_uow_factory: Store, table: str) -> None:
    append(sql_uow_factory)
    assert sql_uow_factory.engine is not None
    with pytest.raises(IntegrityError, match="append-only"), sql_uow_factory.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {table}"))


def test_every_guard_named_in_tables_exists(sql_uow_factory: Store) -> None:
    # Tamper tests drop the guard by these names: a renamed trigger would leave them testing nothing.
    engine = sql_uow_factory.engine
    assert engine is not None
    query = {
        "sqlite": "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'",
        "postgresql": "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid",
    }[engine.dialect.name]
    with engine.connect() as connection:
        found = {(table, name) for table, name in connection.execute(text(query))}
    assert set(USER_AUDIT_TRIGGERS[engine.dialect.name]) <= found


def test_users_stored_before_the_users_chain_are_put_on_record(blank_database_url: str) -> None:
    engine = create_engine_from_url(blank_database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0003")
            connection.execute(
                text("INSERT INTO users (id, name, email, roles) VALUES (:id, :name, :email, :roles)"),
                [
                    {"id": "omar", "name": "Omar Duty", "email": "o@x.example", "roles": '["duty_manager"]'},
                    {
                        "id": "ana",
                        "name": "Ana",
                        "email": "",
                        "roles": '["program_manager", "escalation_manager"]',
                    },
                ],
            )
        migrate(engine)
        with SqlUnitOfWork(engine) as uow:
            entries, head, users = uow.user_audit.entries(), uow.user_audit.head(), uow.users.list()
    finally:
        engine.dispose()
    (first,) = entries
    assert (first.seq, first.actor, first.kind) == (1, "readout", "users_on_record")
    assert [item["id"] for item in first.payload["users"]] == ["ana", "omar"]
    assert head == (1, first.hash)
    assert verify_users(entries, *head, users) == []
