"""`readout users set-password`, `readout users revoke-sessions`, `readout tokens` and `readout serve` as an
operator runs them, on SQLite and PostgreSQL: the password comes from standard input only, a token's secret is
printed once and never listed, refusals are one line and exit 3, and `readout plan` still loads no web
framework or password hasher."""

from __future__ import annotations

import io
import json
import sys
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import MetaData, select

from readout.entrypoints.cli import main
from tests.entrypoints.test_startup_imports import GLOBEX, NOW, imported_by
from tests.entrypoints.test_users_cli import USERS, Cli
from tests.support.db_fixtures import Store

PASSWORD = "correct horse battery staple"


@pytest.fixture
def readout(
    sql_uow_factory: Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Cli:
    cli = Cli(sql_uow_factory, monkeypatch, capsys)
    assert cli("users", "import", str(USERS)).code == 0
    return cli


def typed(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def stored_rows(store: Store) -> str:
    assert store.engine is not None
    schema = MetaData()
    schema.reflect(store.engine)
    with store.engine.connect() as connection:
        return "\n".join(
            repr(tuple(row)) for table in schema.sorted_tables for row in connection.execute(select(table))
        )


def test_set_password_reads_standard_input_and_stores_an_argon2id_hash(
    readout: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    typed(monkeypatch, PASSWORD + "\n")
    ran = readout("users", "set-password", "priya", "--as", "alex")
    assert ran.code == 0, ran.err
    assert "Password set for priya" in ran.out
    assert PASSWORD not in ran.out + ran.err
    with readout.store() as uow:
        record = uow.passwords.get("priya")
    assert record is not None
    assert record.set_by == "alex"
    assert PasswordHasher().verify(record.hash, PASSWORD)  # the newline is not part of the password
    assert PASSWORD not in stored_rows(readout.store)
    (entry,) = [e for e in json.loads(readout("users", "audit", "--json").out) if e["kind"] == "password_set"]
    assert (entry["actor"], entry["payload"]["user"]) == ("alex", "priya")


def test_a_user_sets_their_own_password_but_not_someone_elses(
    readout: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    typed(monkeypatch, PASSWORD + "\n")
    assert readout("users", "set-password", "dana", "--as", "dana").code == 0
    typed(monkeypatch, PASSWORD + "\n")
    ran = readout("users", "set-password", "priya", "--as", "dana")
    assert ran.code == 3
    assert ran.err.strip() == (
        "readout: refused: Dana Ortiz may set a password only for themself: an administrator does it for others"
    )


def test_set_password_refuses_a_short_password_the_system_actor_and_a_password_in_argv(
    readout: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    typed(monkeypatch, "short\n")
    assert readout("users", "set-password", "priya", "--as", "alex").code == 3
    typed(monkeypatch, PASSWORD + "\n")
    ran = readout("users", "set-password", "readout", "--as", "alex")
    assert (ran.code, "Readout's own automatic actor" in ran.err) == (3, True)
    with pytest.raises(SystemExit) as refused:
        main(["users", "set-password", "priya", PASSWORD, "--as", "alex"])
    assert refused.value.code == 2


def test_tokens_create_prints_the_secret_once_and_list_never_shows_it(readout: Cli) -> None:
    created = readout(
        "tokens", "create", "dana", "--name", "ticketing webhook", "--scope", "read", "--scope", "write",
        "--expires", "30", "--as", "alex", "--json",
    )  # fmt: skip
    assert created.code == 0, created.err
    made: dict[str, Any] = json.loads(created.out)
    secret = made["token"]
    assert secret.startswith(f"rdt_{made['id']}_")
    hidden = secret.removeprefix(f"rdt_{made['id']}_")  # the whole secret part (it may contain "_" itself)
    assert (made["user"], made["scopes"], made["state"]) == ("dana", ["read", "write"], "live")

    listed = readout("tokens", "list", "--json")
    assert [t["id"] for t in json.loads(listed.out)] == [made["id"]]
    assert hidden not in listed.out
    shown = readout("tokens", "list", "dana").out
    assert "ticketing webhook" in shown
    assert hidden not in shown
    assert hidden not in stored_rows(readout.store)

    readable = readout("tokens", "create", "dana", "--name", "script", "--as", "dana")
    assert readable.code == 0
    assert "shown only this once" in readable.out
    assert "scopes read;" in readable.out  # read only unless asked


def test_tokens_revoke_and_the_refusals(readout: Cli) -> None:
    made = json.loads(readout("tokens", "create", "dana", "--name", "n", "--as", "alex", "--json").out)
    assert readout("tokens", "revoke", made["id"], "--as", "priya").code == 3  # not hers, not an admin
    ran = readout("tokens", "revoke", made["id"], "--as", "dana")
    assert ran.code == 0, ran.err
    assert f"API token {made['id']} revoked." in ran.out
    assert json.loads(readout("tokens", "list", "--json").out)[0]["state"] == "revoked"
    again = readout("tokens", "revoke", made["id"], "--as", "alex")
    assert again.code == 3
    assert "already revoked" in again.err
    assert readout("tokens", "revoke", "000000000000", "--as", "alex").code == 2
    assert readout("tokens", "create", "dana", "--name", "x", "--scope", "root", "--as", "alex").code == 3
    assert readout("tokens", "create", "readout", "--name", "x", "--as", "alex").code == 3
    assert readout("tokens", "create", "dana", "--as", "alex").code == 3  # no --name
    assert readout("tokens", "create", "dana", "--name", "x").code == 3  # no --as
    kinds = [e["kind"] for e in json.loads(readout("users", "audit", "--json").out)]
    assert kinds == ["users_imported", "token_created", "token_revoked"]


def test_revoke_sessions_is_an_administrators_or_the_users_own(readout: Cli) -> None:
    ran = readout("users", "revoke-sessions", "priya", "--as", "alex")
    assert (ran.code, ran.out.strip()) == (0, "0 session(s) of priya ended.")
    assert readout("users", "revoke-sessions", "priya", "--as", "dana").code == 3


def test_serve_hands_host_and_port_to_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    from readout.entrypoints.http import server

    called: list[tuple[str, int, object, int, str]] = []

    def fake_serve(
        host: str, port: int, *, now: object = None, workers: int = 1, forwarded_allow_ips: str = ""
    ) -> int:
        called.append((host, port, now, workers, forwarded_allow_ips))
        return 0

    monkeypatch.setattr(server, "serve", fake_serve)
    assert main(["serve"]) == 0
    assert main(["serve", "--host", "0.0.0.0", "--port", "9000", "--workers", "2"]) == 0
    assert main(["serve", "--forwarded-allow-ips", "10.0.0.2,10.0.0.3"]) == 0
    assert called == [
        ("127.0.0.1", 8000, None, 1, "127.0.0.1"),
        ("0.0.0.0", 9000, None, 2, "127.0.0.1"),
        ("127.0.0.1", 8000, None, 1, "10.0.0.2,10.0.0.3"),
    ]
    for bad in (["--port", "70000"], ["--workers", "0"], ["--workers", "many"]):
        with pytest.raises(SystemExit):
            main(["serve", *bad])


def test_plan_loads_no_web_framework_and_no_password_hasher() -> None:
    _, modules = imported_by("plan", str(GLOBEX), "--json", "--now", NOW)
    assert sorted(modules & {"fastapi", "starlette", "uvicorn", "argon2"}) == []
