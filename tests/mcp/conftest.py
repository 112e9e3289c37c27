"""Fixtures for the agent tool surface: the workflow desk on every store (memory, SQLite, PostgreSQL), the
people of ``tests.services.flows`` plus an agent acting on behalf of the escalation manager, and a helper
that runs an MCP client session in process against a server acting as a given user."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio
import pytest

from mcp import Client
from readout.adapters.casefile.loader import CaseFileBuilder
from readout.adapters.ics.files import IcsFileReader
from readout.adapters.memory.hold_calendar import MemoryHoldCalendar
from readout.adapters.memory.invites import MemoryInviteSender
from readout.domain.users import User, UserKind
from readout.entrypoints.mcp import Caller, build_server
from readout.services.context import Deps
from readout.services.ports import UnitOfWork
from tests.services.flows import EM, Clock, Desk, seed_users, u
from tests.support.db_fixtures import Store

AGENT = "planner-bot"
AGENT_USER = User(AGENT, "Planning agent", "", frozenset(), kind=UserKind.AGENT, on_behalf_of=EM)
T = TypeVar("T")


def seed_agent(store_uow: Callable[[], UnitOfWork]) -> None:
    with store_uow() as uow:
        uow.users.put(AGENT_USER)
        uow.commit()


@pytest.fixture
def store_uow(uow_factory: Store) -> Store:
    return uow_factory


@pytest.fixture
def clock() -> Clock:
    return Clock(u(2026, 11, 1))


@pytest.fixture
def hold_calendar() -> MemoryHoldCalendar:
    return MemoryHoldCalendar()


@pytest.fixture
def deps(store_uow: Store, clock: Clock, hold_calendar: MemoryHoldCalendar) -> Deps:
    seed_users(store_uow)
    seed_agent(store_uow)
    return Deps(
        uow=store_uow,
        reader=IcsFileReader(),
        holds=hold_calendar,
        clock=clock,
        cases=CaseFileBuilder(),
        invites=MemoryInviteSender(),
        pinned=True,
    )


@pytest.fixture
def desk(deps: Deps, clock: Clock, hold_calendar: MemoryHoldCalendar, tmp_path: Path) -> Desk:
    return Desk(deps, clock, hold_calendar, tmp_path)


Session = Callable[[Client], Awaitable[T]]


def in_process(deps: Deps, user_id: str, body: Callable[[Client], Awaitable[Any]], max_holds: int = 3) -> Any:
    """Run ``body`` with an MCP client connected in process to a server acting as ``user_id``."""
    server = build_server(deps, lambda _ctx: Caller(user_id), max_holds)

    async def main() -> Any:
        async with Client(server) as client:
            return await body(client)

    return anyio.run(main)
