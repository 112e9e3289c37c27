"""A request an agent raises is its principal's: "nobody approves their own request" holds through an agent,
so a program manager cannot waive a request their own agent raised (or caused by opening the case)."""

from __future__ import annotations

from readout.services.context import Deps
from readout.services.exceptions import raised_for, request_exception
from tests.mcp.conftest import AGENT
from tests.services.flows import EM, FREEZE, GLOBEX, GLOBEX_ID, Desk


def test_a_request_raised_when_the_agent_opened_the_case_is_its_principals(desk: Desk, deps: Deps) -> None:
    opened = desk.open(FREEZE, user=AGENT)  # no compliant slot: Readout raises the waiver request
    assert opened.request is not None
    with deps.uow() as uow:
        assert raised_for(uow, opened.request) == EM


def test_a_request_the_agent_made_is_its_principals(desk: Desk, deps: Deps) -> None:
    desk.open(GLOBEX)
    request_exception(deps, GLOBEX_ID, AGENT, "the customer asks for another engineer: ask leadership")
    (*_, latest) = desk.requests(GLOBEX_ID)
    assert latest.requested_by == AGENT
    with deps.uow() as uow:
        assert raised_for(uow, latest) == EM
