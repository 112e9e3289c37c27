"""Credentials in the store (revision 0007): no secret is ever stored in clear, failed sign-ins counted by
racing processes are all counted, a session's last use never undoes its revocation, Idempotency-Key responses
are stored once per principal and key; and the migration upgrades from 0006 and downgrades back."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from alembic import command
from argon2 import PasswordHasher
from sqlalchemy import Engine, MetaData, inspect, select, text

from readout.adapters.casefile.loader import CaseFileBuilder
from readout.adapters.ics.files import IcsFileReader
from readout.adapters.memory.hold_calendar import MemoryHoldCalendar
from readout.adapters.sql import SqlUnitOfWork, create_engine_from_url, migrate
from readout.adapters.sql.migration import _config
from readout.domain.auth import Session, digest, parse_token
from readout.domain.users import Role, User
from readout.services import auth
from readout.services.context import Deps
from readout.services.ports import StoredResponse
from readout.services.users import import_users
from tests.adapters.sql.builders import at
from tests.support.db_fixtures import Store

CREDENTIAL_TABLES = {"passwords", "sessions", "api_tokens", "login_failures", "idempotency_keys"}
ADA = User("ada", "Ada Admin", "ada@provider.example", frozenset({Role.ADMINISTRATOR}))
PAULA = User("paula", "Paula Program", "paula@provider.example", frozenset({Role.PROGRAM_MANAGER}))
PASSWORD = "a passphrase nobody else knows"
POLICY = auth.SessionPolicy(hasher=PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))


def deps_on(store: Store) -> Deps:
    return Deps(
        uow=store,
        reader=IcsFileReader(),
        holds=MemoryHoldCalendar(),
        clock=lambda: at(3, 9),
        cases=CaseFileBuilder(),
        wall=lambda: at(3, 9),
    )


def every_value(engine: Engine) -> str:
    """Every row of every table, as one text."""
    schema = MetaData()
    schema.reflect(engine)
    with engine.connect() as connection:
        return "\n".join(
            repr(tuple(row)) for table in schema.sorted_tables for row in connection.execute(select(table))
        )


def test_no_password_session_token_or_api_token_is_stored_in_clear(sql_uow_factory: Store) -> None:
    deps = deps_on(sql_uow_factory)
    import_users(deps, [ADA, PAULA], None)
    auth.set_password(deps, PAULA.id, PASSWORD, ADA.id, POLICY)
    signed = auth.sign_in(deps, PAULA.id, PASSWORD, "192.0.2.1", policy=POLICY)
    made = auth.create_token(deps, PAULA.id, "webhook", frozenset({"write"}), 30, ADA.id)
    assert auth.token_user(deps, made.text) is not None
    _, secret = parse_token(made.text) or ("", "")
    assert sql_uow_factory.engine is not None

    stored = every_value(sql_uow_factory.engine)

    for clear in (PASSWORD, signed.token, secret, made.text):
        assert clear not in stored
    assert digest(signed.token) in stored  # what is kept instead: the scan does see the credential rows
    assert digest(secret) in stored
    assert "$argon2id$" in stored


def test_failures_counted_by_racing_processes_are_all_counted(sql_uow_factory: Store) -> None:
    def one_failure(n: int) -> int:
        with sql_uow_factory() as uow:
            counted = uow.login_throttle.fail("address:203.0.113.9", at(3, 9, n), at(3, 8))
            uow.commit()
        return counted

    with ThreadPoolExecutor(max_workers=8) as pool:
        counts = sorted(pool.map(one_failure, range(16)))

    assert counts == list(range(1, 17))
    with sql_uow_factory() as uow:
        assert uow.login_throttle.failures("address:203.0.113.9") == (16, max(at(3, 9, n) for n in range(16)))


def test_a_sessions_last_use_never_undoes_its_revocation(uow_factory: Store) -> None:
    session = Session(digest("token"), "paula", at(3, 9), at(3, 9), at(3, 21))
    with uow_factory() as uow:
        uow.sessions.add(session)
        uow.commit()
    with uow_factory() as uow:
        assert uow.sessions.revoke_user("paula", at(3, 10), "ada") == 1
        uow.sessions.touch(session.id, at(3, 11))
        uow.commit()
    with uow_factory() as uow:
        found = uow.sessions.get(session.id)
    assert found is not None
    assert (found.revoked_at, found.revoked_by, found.last_seen_at) == (at(3, 10), "ada", at(3, 11))
    assert not found.live(at(3, 11, 30))


def test_an_idempotency_key_is_stored_once_per_principal(uow_factory: Store) -> None:
    first = StoredResponse(
        "paula", "k-1", "POST", "/v1/escalations/E-1/holds", "d" * 64, 201, {"n": 1e20}, at(3, 9)
    )
    with uow_factory() as uow:
        assert uow.idempotency.put(first)
        assert not uow.idempotency.put(StoredResponse(**{**first.__dict__, "status": 500}))
        assert uow.idempotency.put(StoredResponse(**{**first.__dict__, "principal_id": "dmitri"}))
        uow.commit()
    with uow_factory() as uow:
        assert uow.idempotency.get("paula", "k-1") == first
        assert uow.idempotency.get("paula", "k-2") is None
        uow.idempotency.put(StoredResponse(**{**first.__dict__, "key": "k-2"}))  # not committed
    with uow_factory() as uow:
        assert uow.idempotency.get("paula", "k-2") is None


@pytest.fixture
def at_0006(blank_database_url: str) -> Iterator[Engine]:
    engine = create_engine_from_url(blank_database_url)
    with engine.begin() as connection:
        config = _config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0006")
    yield engine
    engine.dispose()


def test_upgrading_from_0006_adds_the_credential_tables_and_downgrading_removes_them(at_0006: Engine) -> None:
    assert not CREDENTIAL_TABLES & set(inspect(at_0006).get_table_names())
    with at_0006.begin() as connection:
        connection.execute(
            text("INSERT INTO users (id, name, email, roles) VALUES ('paula', 'Paula', '', '[]')")
        )

    migrate(at_0006)

    assert set(inspect(at_0006).get_table_names()) >= CREDENTIAL_TABLES
    with SqlUnitOfWork(at_0006) as uow:
        uow.sessions.add(Session(digest("t"), "paula", at(3, 9), at(3, 9), at(3, 9) + timedelta(hours=12)))
        uow.commit()
    with at_0006.begin() as connection:
        config = _config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0006")
    tables = set(inspect(at_0006).get_table_names())
    assert not CREDENTIAL_TABLES & tables
    with at_0006.connect() as connection:
        assert connection.execute(text("SELECT id FROM users")).scalars().all() == ["paula"]


def test_pruning_forgets_only_keys_whose_last_failure_is_old(uow_factory: Store) -> None:
    with uow_factory() as uow:
        for n in range(3):
            uow.login_throttle.fail(f"user:old{n}", at(3, 8), at(3, 7))
        uow.login_throttle.fail("user:new", at(3, 10), at(3, 7))
        uow.commit()
    with uow_factory() as uow:
        uow.login_throttle.prune(at(3, 9))
        uow.commit()
    with uow_factory() as uow:
        assert [uow.login_throttle.failures(f"user:old{n}") for n in range(3)] == [None, None, None]
        assert uow.login_throttle.failures("user:new") == (1, at(3, 10))
