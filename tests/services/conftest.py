"""Fixtures for the workflow tests. ``store_uow`` is the one place that picks the store: every workflow test
runs on the in-memory twin, SQLite and PostgreSQL (``tests.support.db_fixtures.uow_factory``). Tests read the
store only through the ports; the privacy test also walks the raw data underneath: ``.memory`` (a
MemoryStore) or ``.engine`` (every row of every table).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from readout.adapters.casefile.loader import CaseFileBuilder
from readout.adapters.ics.files import IcsFileReader
from readout.adapters.memory.hold_calendar import MemoryHoldCalendar
from readout.adapters.memory.invites import MemoryInviteSender
from readout.services.context import Deps
from readout.services.ports import UnitOfWork
from tests.services.flows import Clock, Desk, seed_users, u
from tests.support.db_fixtures import Store


@pytest.fixture
def store_uow(uow_factory: Store) -> Callable[[], UnitOfWork]:
    """A zero-argument factory of units of work over one fresh, empty store: memory, SQLite, PostgreSQL."""
    return uow_factory


@pytest.fixture
def clock() -> Clock:
    """Set by ``Desk.open`` to the case file's ``now``; advanced by hand."""
    return Clock(u(2026, 11, 1))


@pytest.fixture
def hold_calendar() -> MemoryHoldCalendar:
    return MemoryHoldCalendar()


@pytest.fixture
def invites() -> MemoryInviteSender:
    return MemoryInviteSender()


@pytest.fixture
def deps(
    store_uow: Callable[[], UnitOfWork],
    clock: Clock,
    hold_calendar: MemoryHoldCalendar,
    invites: MemoryInviteSender,
) -> Deps:
    seed_users(store_uow)
    return Deps(
        uow=store_uow,
        reader=IcsFileReader(),
        holds=hold_calendar,
        clock=clock,
        cases=CaseFileBuilder(),
        invites=invites,
        pinned=True,  # the test clock stands for --now: it wins over a case file's own now:
    )


@pytest.fixture
def desk(deps: Deps, clock: Clock, hold_calendar: MemoryHoldCalendar, tmp_path: Path) -> Desk:
    return Desk(deps, clock, hold_calendar, tmp_path)
