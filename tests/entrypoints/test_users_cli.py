"""`readout users` as an operator runs it, on SQLite and PostgreSQL: the bootstrap import, administrators only
afterwards (one line and exit 3 otherwise), the users audit trail, and `readout audit verify` catching a users
chain or a users table changed behind Readout's back (exit 1)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from readout.adapters.sql.tables import USER_AUDIT_TRIGGERS
from readout.entrypoints.cli import main
from tests.support.db_fixtures import Store

USERS = Path(__file__).resolve().parents[2] / "examples" / "users.yaml"


@dataclass
class Ran:
    code: int
    out: str
    err: str


class Cli:
    def __init__(
        self, store: Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        self.store, self.capsys = store, capsys
        monkeypatch.setenv("READOUT_DATABASE_URL", str(store.url))
        monkeypatch.setenv("COLUMNS", "200")

    def __call__(self, *args: str) -> Ran:
        code = main(list(args))
        out, err = self.capsys.readouterr()
        return Ran(code, out, err)


@pytest.fixture
def readout(
    sql_uow_factory: Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Cli:
    return Cli(sql_uow_factory, monkeypatch, capsys)


@pytest.fixture
def imported(readout: Cli) -> Cli:
    ran = readout("users", "import", str(USERS))
    assert ran.code == 0, ran.err
    return readout


def users_file(tmp_path: Path, *lines: str) -> str:
    path = tmp_path / "users.yaml"
    path.write_text("users:\n" + "".join(f"  - {line}\n" for line in lines))
    return str(path)


def drop_users_chain_guard(engine: Engine) -> None:
    """What a database administrator with a grudge would do first."""
    dialect = engine.dialect.name
    with engine.begin() as connection:
        for table, name in USER_AUDIT_TRIGGERS[dialect]:
            connection.execute(
                text(f"DROP TRIGGER {name}" + (f" ON {table}" if dialect == "postgresql" else ""))
            )


def test_the_first_import_bootstraps_and_is_the_first_entry_of_the_users_trail(imported: Cli) -> None:
    listed = json.loads(imported("users", "list", "--json").out)
    assert {u["id"]: u["roles"] for u in listed}["alex"] == ["administrator"]
    (entry,) = json.loads(imported("users", "audit", "--json").out)
    assert (entry["seq"], entry["actor"], entry["payload"]["bootstrap"]) == (1, "readout", True)
    shown = imported("users", "audit").out
    assert "#1" in shown
    assert "(bootstrap)" in shown
    assert "added     omar: Omar Haddad, duty_manager" in shown


def test_a_first_import_naming_no_administrator_is_refused(readout: Cli, tmp_path: Path) -> None:
    ran = readout("users", "import", users_file(tmp_path, "{id: omar, name: Omar, roles: [duty_manager]}"))
    assert ran.code == 3
    assert ran.err.count("\n") == 1
    assert "first import must name at least one administrator" in ran.err
    assert json.loads(readout("users", "list", "--json").out) == []


@pytest.mark.parametrize(
    ("acting", "code"),
    [([], 3), (["--as", "priya"], 3), (["--as", "omar"], 3), (["--as", "nobody"], 2), (["--as", "alex"], 0)],
)
def test_issue_9_only_an_administrator_changes_roles(
    imported: Cli, tmp_path: Path, acting: list[str], code: int
) -> None:
    promote = users_file(tmp_path, "{id: priya, name: Priya Shah, roles: [program_manager, duty_manager]}")

    ran = imported("users", "import", promote, *acting)

    assert ran.code == code, ran.err
    if code:
        assert ran.err.count("\n") == 1
        assert "Traceback" not in ran.err
    roles = {u["id"]: u["roles"] for u in json.loads(imported("users", "list", "--json").out)}
    assert roles["priya"] == (["duty_manager", "program_manager"] if code == 0 else ["program_manager"])
    assert len(json.loads(imported("users", "audit", "--json").out)) == (2 if code == 0 else 1)


def test_issue_9_the_duty_managers_name_cannot_be_taken_even_by_an_administrator(
    imported: Cli, tmp_path: Path
) -> None:
    every_role = (
        "[program_manager, escalation_manager, duty_manager, engineering_manager, support_leadership]"
    )
    mallory = users_file(tmp_path, f"{{id: mallory, name: omar haddad, roles: {every_role}}}")

    ran = imported("users", "import", mallory, "--as", "alex")

    assert ran.code == 3
    assert "user 'omar' already is" in ran.err
    assert "mallory" not in imported("users", "list").out


def test_users_import_takes_no_now(imported: Cli) -> None:
    with pytest.raises(SystemExit) as exited:
        imported("users", "import", str(USERS), "--as", "alex", "--now", "2020-01-01T00:00:00Z")
    assert exited.value.code == 2


TAMPERING = {
    "roles changed in the users table": ['UPDATE users SET roles = \'["duty_manager", "program_manager"]\''],
    "user added in the users table": [
        "INSERT INTO users (id, name, email, roles) VALUES ('mallory', 'Mal', '', '[\"duty_manager\"]')"
    ],
    "entry edited": ["UPDATE user_audit_entries SET actor = 'mallory' WHERE seq = 2"],
    "entry deleted": ["DELETE FROM user_audit_entries WHERE seq = 1"],
    "truncated": ["DELETE FROM user_audit_entries WHERE seq = 2"],
    "head removed": ["DELETE FROM user_audit_head"],
}


@pytest.mark.parametrize("kind", sorted(TAMPERING))
def test_audit_verify_catches_a_tampered_users_chain(imported: Cli, tmp_path: Path, kind: str) -> None:
    change = users_file(tmp_path, "{id: priya, name: Priya S., roles: [program_manager]}")
    assert imported("users", "import", change, "--as", "alex").code == 0
    verified = imported("audit", "verify")
    assert (verified.code, verified.out) == (0, "users: intact\n")
    engine = imported.store.engine
    assert engine is not None
    drop_users_chain_guard(engine)

    with engine.begin() as connection:
        for statement in TAMPERING[kind]:
            connection.execute(text(statement))

    verified = imported("audit", "verify")
    assert verified.code == 1
    assert "users: TAMPERED" in verified.out
    assert json.loads(imported("audit", "verify", "--json").out)["users"] != []


def test_users_list_names_agents_with_their_principal_and_slack_links(imported: Cli, tmp_path: Path) -> None:
    more = tmp_path / "agents.yaml"
    more.write_text(
        "users:\n  - {id: bot, name: Planning agent, kind: agent, on_behalf_of: priya}\n"
        "  - {id: omar, name: Omar Haddad, email: omar@example.com, roles: [duty_manager], slack: U0OMAR1}\n"
    )
    imported("users", "import", str(more), "--as", "alex")
    listed = {u["id"]: u for u in json.loads(imported("users", "list", "--json").out)}
    assert (listed["bot"]["kind"], listed["bot"]["on_behalf_of"]) == ("agent", "priya")
    assert (listed["priya"]["kind"], listed["omar"]["slack"]) == ("person", "U0OMAR1")
    shown = imported("users", "list").out
    assert "agent on behalf of priya" in shown
    assert "(Slack U0OMAR1)" in shown
