"""The agent principal: a users file names an agent acting on behalf of a coordinator; the services let it
plan, hold and request exceptions, and refuse it review, confirmation, approval, rejection, waivers and
cancelling whatever tool a server registers; the store keeps its kind and principal (SQL migration 0011)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text

from readout.adapters.casefile.users import load_users
from readout.adapters.sql import SqlUnitOfWork, create_engine_from_url, migrate
from readout.adapters.sql.migration import _config
from readout.domain.audit import ON_BEHALF_OF
from readout.domain.names import COVERAGE
from readout.domain.users import Permission, Role, User, UserKind, may, may_waive
from readout.errors import CaseFileError, PermissionDenied, Refused
from readout.services import confirmation, exceptions, holding
from readout.services.context import Deps
from readout.services.users import import_users
from tests.mcp.conftest import AGENT, AGENT_USER
from tests.services.flows import EM, FREEZE, FREEZE_ID, GLOBEX, GLOBEX_ID, Desk

USERS_FILE = """\
users:
  - {id: alex, name: Alex Kim, roles: [administrator]}
  - {id: priya, name: Priya Shah, roles: [program_manager]}
  - {id: omar, name: Omar Haddad, roles: [duty_manager]}
  - {id: bot, name: Planning agent, kind: agent, on_behalf_of: priya}
"""


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "users.yaml"
    path.write_text(body)
    return path


def test_the_users_file_names_an_agent_and_its_principal(tmp_path: Path) -> None:
    users = {u.id: u for u in load_users(_write(tmp_path, USERS_FILE))}
    bot = users["bot"]
    assert (bot.kind, bot.on_behalf_of, bot.roles) == (UserKind.AGENT, "priya", frozenset())
    assert users["priya"].kind is UserKind.PERSON
    assert users["priya"].on_behalf_of is None


@pytest.mark.parametrize(
    ("line", "field", "words"),
    [
        ("{id: bot, name: Bot, kind: agent}", "users.0.on_behalf_of", "needs on_behalf_of"),
        (
            "{id: bot, name: Bot, kind: agent, on_behalf_of: p, roles: [program_manager]}",
            "users.0.roles",
            "no roles",
        ),
        (
            "{id: p, name: P, roles: [program_manager], on_behalf_of: q}",
            "users.0.on_behalf_of",
            "only an agent",
        ),
        ("{id: p, name: P}", "users.0.roles", "Field required"),
        ("{id: bot, name: Bot, kind: robot, on_behalf_of: p}", "users.0.kind", "person"),
    ],
)
def test_a_bad_agent_entry_names_the_field(tmp_path: Path, line: str, field: str, words: str) -> None:
    with pytest.raises(CaseFileError) as caught:
        load_users(_write(tmp_path, f"users:\n  - {line}\n"))
    assert caught.value.field == field
    assert words in caught.value.expected


def test_agents_may_plan_hold_and_ask_and_nothing_else() -> None:
    allowed = {p for p in Permission if may(AGENT_USER, p)}
    assert allowed == {Permission.OPEN_AND_PLAN, Permission.HOLD, Permission.REQUEST_EXCEPTION}
    # even an agent someone gave every role would not confirm, decide or waive
    loaded = User("x", "X", "", frozenset(Role), kind=UserKind.AGENT, on_behalf_of="p")
    assert not may(loaded, Permission.CONFIRM)
    assert not may(loaded, Permission.DECIDE_ESCALATION)
    assert not may_waive(loaded, COVERAGE)


def test_an_import_refuses_an_agent_whose_principal_is_not_a_coordinator(deps: Deps) -> None:
    admin = User("alex", "Alex Kim", "", frozenset({Role.ADMINISTRATOR}))
    import_users(deps, [admin], None)
    for principal, words in (
        ("nobody-here", "is not a user"),
        ("omar", "no coordinator role"),
        (AGENT, "another agent"),
    ):
        agent = User("bot2", "Second agent", "", frozenset(), kind=UserKind.AGENT, on_behalf_of=principal)
        with pytest.raises(Refused, match=words):
            import_users(deps, [agent], "alex")
    # taking the coordinator role away from an agent's principal is refused too
    demoted = User(EM, "Dmitri Escalations", "dmitri@provider.example", frozenset({Role.DUTY_MANAGER}))
    with pytest.raises(Refused, match=f"agent {AGENT!r} acts on behalf of {EM!r}"):
        import_users(deps, [demoted], "alex")
    with deps.uow() as uow:
        assert uow.users.get("bot2") is None
        assert uow.users.get(EM).roles == {Role.ESCALATION_MANAGER}  # type: ignore[union-attr]


def test_an_agent_holds_but_review_and_confirm_are_refused_naming_the_agent(desk: Desk, deps: Deps) -> None:
    desk.open(GLOBEX)
    start = desk.eligible(GLOBEX_ID)[0].slot.start
    placed = holding.hold_slots(deps, GLOBEX_ID, AGENT, start)
    assert [h.slot.start for h in placed.live] == [start]
    before = desk.escalation(GLOBEX_ID).state
    with pytest.raises(PermissionDenied, match="Planning agent"):
        confirmation.review(deps, GLOBEX_ID, AGENT, start)
    review = confirmation.review(deps, GLOBEX_ID, EM, start)  # the human's checkpoint
    with pytest.raises(PermissionDenied, match="Planning agent"):
        confirmation.confirm(deps, GLOBEX_ID, AGENT, review.packet.digest)
    with pytest.raises(PermissionDenied, match="Planning agent"):
        confirmation.cancel(deps, GLOBEX_ID, AGENT, "the agent wants to start over")
    assert desk.escalation(GLOBEX_ID).state.value == "awaiting_confirmation" != before.value
    assert desk.escalation(GLOBEX_ID).confirmed_by is None


def test_an_agent_may_not_approve_reject_or_waive_and_the_refusal_is_on_the_trail(
    desk: Desk, deps: Deps
) -> None:
    opened = desk.open(FREEZE)  # no compliant slot: a waiver request for the duty manager
    assert opened.request is not None
    near = opened.request.options[0].slot.start
    token = ON_BEHALF_OF.set(EM)
    try:
        with pytest.raises(PermissionDenied):
            exceptions.approve(deps, FREEZE_ID, AGENT, near, "the agent waives coverage")
        with pytest.raises(PermissionDenied):
            exceptions.reject(deps, FREEZE_ID, AGENT, "the agent rejects")
    finally:
        ON_BEHALF_OF.reset(token)
    assert desk.waivers(FREEZE_ID) == []
    assert desk.requests(FREEZE_ID)[-1].decision.value == "open"
    refused = [e for e in desk.audit(FREEZE_ID) if e.kind == "refused"]
    assert [(e.actor, e.payload.get("on_behalf_of")) for e in refused] == [(AGENT, EM), (AGENT, EM)]


def test_the_refusal_says_who_must_act() -> None:
    from readout.domain.users import refusal

    words = refusal(AGENT_USER, Permission.CONFIRM)
    assert "Planning agent is an agent acting on behalf of dmitri" in words
    assert "escalation manager or program manager" in words


# The SQL store: kind and principal kept, and the migration from 0010.


@pytest.fixture
def at_0010(blank_database_url: str) -> Iterator[Engine]:
    engine = create_engine_from_url(blank_database_url)
    with engine.begin() as connection:
        config = _config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0010")
    yield engine
    engine.dispose()


def test_upgrading_to_0011_keeps_people_as_people_and_stores_agents(at_0010: Engine) -> None:
    with at_0010.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, name, email, roles) VALUES ('dmitri', 'Dmitri', '', '[\"escalation_manager\"]')"
            )
        )
    migrate(at_0010)
    with SqlUnitOfWork(at_0010) as uow:
        dmitri = uow.users.get("dmitri")
        assert dmitri is not None
        assert dmitri.kind is UserKind.PERSON
        assert dmitri.on_behalf_of is None
        uow.users.put(
            User(AGENT, "Planning agent", "", frozenset(), kind=UserKind.AGENT, on_behalf_of="dmitri")
        )
        uow.commit()
    with SqlUnitOfWork(at_0010) as uow:
        assert uow.users.get(AGENT) == User(
            AGENT, "Planning agent", "", frozenset(), kind=UserKind.AGENT, on_behalf_of="dmitri"
        )
    with at_0010.begin() as connection:
        config = _config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0010")
    assert {"kind", "on_behalf_of"}.isdisjoint(c["name"] for c in inspect(at_0010).get_columns("users"))
