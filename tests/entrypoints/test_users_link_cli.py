"""`readout users link USER --slack MEMBER_ID --as ADMIN` and `readout users unlink USER --as ADMIN` as an
operator runs them (SQLite and PostgreSQL): an administrator only, a well-formed member id, one Readout user
per Slack user, each change one entry of the users audit trail that `readout audit verify` accepts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from readout.entrypoints.cli import main
from tests.support.db_fixtures import Store

USERS = Path(__file__).resolve().parents[2] / "examples" / "users.yaml"


@dataclass
class Ran:
    code: int
    out: str
    err: str


class Cli:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        monkeypatch.setenv("COLUMNS", "200")

    def __call__(self, *args: str) -> Ran:
        code = main(list(args))
        out, err = self.capsys.readouterr()
        return Ran(code, out, err)


@pytest.fixture
def readout(
    sql_uow_factory: Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Cli:
    monkeypatch.setenv("READOUT_DATABASE_URL", str(sql_uow_factory.url))
    cli = Cli(monkeypatch, capsys)
    ran = cli("users", "import", str(USERS))
    assert ran.code == 0, ran.err
    return cli


def _stored_slack(readout: Cli, user: str) -> str | None:
    from readout import bootstrap

    with bootstrap.workflow_deps().look() as uow:
        found = uow.users.get(user)
    assert found is not None
    return found.slack


def test_an_administrator_links_a_user_and_the_trail_records_it(readout: Cli) -> None:
    ran = readout("users", "link", "omar", "--slack", "U012ABCDEF", "--as", "alex")
    assert ran.code == 0, ran.err
    assert "omar (Omar Haddad) is linked to the Slack user U012ABCDEF" in ran.out
    assert _stored_slack(readout, "omar") == "U012ABCDEF"

    audit = readout("users", "audit")
    assert "changed   omar: Omar Haddad, duty_manager (Slack user U012ABCDEF, was none)" in audit.out
    entries = json.loads(readout("users", "audit", "--json").out)
    last = entries[-1]
    assert last["actor"] == "alex"
    assert last["payload"]["users"] == [
        {
            "id": "omar",
            "change": "changed",
            "new": {
                "name": "Omar Haddad",
                "email": "omar.haddad@provider.example",
                "roles": ["duty_manager"],
                "slack": "U012ABCDEF",
            },
            "old": {
                "name": "Omar Haddad",
                "email": "omar.haddad@provider.example",
                "roles": ["duty_manager"],
            },
        }
    ]
    assert readout("audit", "verify").code == 0  # the stored user is as the chain says

    again = readout("users", "link", "omar", "--slack", "U012ABCDEF", "--as", "alex")
    assert (again.code, "already linked" in again.out) == (0, True)
    assert len(json.loads(readout("users", "audit", "--json").out)) == len(entries)  # nothing recorded

    gone = readout("users", "unlink", "omar", "--as", "alex", "--json")
    assert gone.code == 0, gone.err
    assert json.loads(gone.out)["was"] == "U012ABCDEF"
    assert _stored_slack(readout, "omar") is None
    assert "Slack user U012ABCDEF unlinked" in readout("users", "audit").out
    assert readout("audit", "verify").code == 0


def test_a_second_user_may_not_take_a_linked_slack_id(readout: Cli) -> None:
    assert readout("users", "link", "omar", "--slack", "U012ABCDEF", "--as", "alex").code == 0
    ran = readout("users", "link", "grace", "--slack", "U012ABCDEF", "--as", "alex")
    assert ran.code == 3
    assert ran.err.count("\n") == 1
    assert "already linked to omar (Omar Haddad)" in ran.err
    assert _stored_slack(readout, "grace") is None


def test_only_an_administrator_links(readout: Cli) -> None:
    ran = readout("users", "link", "omar", "--slack", "U012ABCDEF", "--as", "omar")
    assert ran.code == 3
    assert "may not manage users" in ran.err
    assert _stored_slack(readout, "omar") is None
    assert readout("users", "unlink", "omar").code == 3  # no --as


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("link", "omar", "--slack", "omar", "--as", "alex"), 2, "expected a Slack member id"),
        (("link", "omar", "--slack", "C0123ABCD", "--as", "alex"), 2, "expected a Slack member id"),
        (("link", "nobody", "--slack", "U012ABCDEF", "--as", "alex"), 2, "no user 'nobody'"),
        (("link", "omar", "--as", "alex"), 3, "needs --slack"),
        (("link", "--slack", "U012ABCDEF", "--as", "alex"), 3, "needs a USER"),
        (("unlink", "omar", "--slack", "U012ABCDEF", "--as", "alex"), 3, "takes no --slack"),
        (("list", "--slack", "U012ABCDEF"), 3, "takes no --slack"),
    ],
)
def test_bad_input_is_one_line_and_a_documented_exit_code(
    readout: Cli, args: tuple[str, ...], code: int, says: str
) -> None:
    ran = readout("users", *args)
    assert (ran.code, ran.out) == (code, "")
    assert says in ran.err
    assert ran.err.count("\n") == 1
