"""Linking a Slack user to a Readout user (issue 14): the users file's ``slack:`` field is read and checked,
an import stores the link and records it in the users chain (so a link changed outside Readout shows), and one
Slack user may not act as two Readout users."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from readout.adapters.casefile.loader import CaseFileBuilder
from readout.adapters.casefile.users import load_users
from readout.adapters.ics.files import IcsFileReader
from readout.adapters.memory.hold_calendar import MemoryHoldCalendar
from readout.domain.users import Role, User
from readout.errors import CaseFileError, Refused
from readout.services.context import Deps
from readout.services.ports import UnitOfWork
from readout.services.users import import_users, verify_users_chain
from tests.services.flows import Clock

ADA = User("ada", "Ada Admin", "ada@provider.example", frozenset({Role.ADMINISTRATOR}))
OMAR = User("omar", "Omar Haddad", "omar@provider.example", frozenset({Role.DUTY_MANAGER}), "U012ABCDEF")
LENA = User("lena", "Lena Leadership", "lena@provider.example", frozenset({Role.SUPPORT_LEADERSHIP}))


@pytest.fixture
def deps(store_uow: Callable[[], UnitOfWork], clock: Clock, hold_calendar: MemoryHoldCalendar) -> Deps:
    return Deps(
        uow=store_uow,
        reader=IcsFileReader(),
        holds=hold_calendar,
        clock=clock,
        cases=CaseFileBuilder(),
        pinned=True,
    )


def users_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "users.yaml"
    path.write_text(body)
    return path


def test_the_users_file_links_a_slack_user(tmp_path: Path) -> None:
    path = users_file(
        tmp_path,
        "users:\n"
        "  - {id: ada, name: Ada Admin, roles: [administrator]}\n"
        "  - {id: omar, name: Omar Haddad, roles: [duty_manager], slack: U012ABCDEF}\n",
    )

    ada, omar = load_users(path)

    assert (ada.slack, omar.slack) == (None, "U012ABCDEF")


@pytest.mark.parametrize("bad", ["omar", "u012abcdef", "U012 ABCDEF", "<@U012ABCDEF>", "123"])
def test_a_slack_field_that_is_not_a_slack_user_id_names_the_field(tmp_path: Path, bad: str) -> None:
    path = users_file(
        tmp_path, f"users:\n  - {{id: omar, name: Omar, roles: [duty_manager], slack: '{bad}'}}\n"
    )

    with pytest.raises(CaseFileError) as raised:
        load_users(path)

    assert raised.value.field == "users.0.slack"
    assert "Slack user id such as U012ABCDEF" in str(raised.value)


def test_an_import_stores_the_link_and_the_users_chain_records_it(deps: Deps) -> None:
    done = import_users(deps, [ADA, OMAR], None)

    with deps.uow() as uow:
        stored = uow.users.get("omar")
    assert stored is not None
    assert stored.slack == "U012ABCDEF"
    [_, omar] = done.entry.payload["users"]
    assert omar["new"]["slack"] == "U012ABCDEF"
    assert "slack" not in done.entry.payload["users"][0]["new"]  # not linked: as entries before links
    assert verify_users_chain(deps) == []


def test_relinking_is_a_recorded_change_and_a_link_changed_outside_readout_shows(deps: Deps) -> None:
    import_users(deps, [ADA, OMAR], None)
    done = import_users(deps, [replace(OMAR, slack="U0NEWOMAR")], "ada")

    [item] = done.entry.payload["users"]
    assert item["change"] == "changed"
    assert (item["old"]["slack"], item["new"]["slack"]) == ("U012ABCDEF", "U0NEWOMAR")

    with deps.uow() as uow:  # someone links another Slack account in the database directly
        uow.users.put(replace(OMAR, slack="U0INTRUDER"))
        uow.commit()
    assert verify_users_chain(deps) == [
        "user 'omar' is not as the imports left them (changed outside Readout)"
    ]


def test_one_slack_user_may_not_act_as_two_readout_users(deps: Deps) -> None:
    import_users(deps, [ADA, OMAR], None)

    with pytest.raises(Refused, match="already is"):
        import_users(deps, [replace(LENA, slack="U012ABCDEF")], "ada")

    with deps.uow() as uow:
        assert uow.users.get("lena") is None
