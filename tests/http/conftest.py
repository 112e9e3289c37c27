"""Fixtures for the HTTP API tests: the app on a fresh store (SQLite and PostgreSQL, from
``tests.support.db_fixtures``), the test clock pinned as ``--now`` pins it, users seeded one per role, and the
sign-in replaced by a principal named in the ``X-Test-User`` header (the auth tests test sign-in itself).

Case documents are the examples' case files as JSON, their calendars named relative to the calendar root
(the examples folder), as a support system's documents must name them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import Request
from fastapi.testclient import TestClient

from readout import bootstrap
from readout.adapters.casefile.document import parse_yaml
from readout.adapters.casefile.loader import CaseFileBuilder
from readout.adapters.ics.files import IcsFileReader
from readout.adapters.memory.hold_calendar import MemoryHoldCalendar
from readout.adapters.memory.invites import MemoryInviteSender
from readout.entrypoints.http import health
from readout.entrypoints.http.app import create_app
from readout.entrypoints.http.auth import Principal, principal
from readout.services.context import Deps
from tests.services.flows import EXAMPLES, USERS, Clock, seed_users, u
from tests.support.db_fixtures import Store, postgres_url, sql_uow_factory  # noqa: F401

GLOBEX, FREEZE = "globex-sso-outage", "cab-freeze-no-slot"
GLOBEX_ID, FREEZE_ID = "ESC-48213", "ESC-51007"
_BY_ID = {user.id: user for user in USERS}


def case_json(name: str) -> dict[str, Any]:
    """The example's case file as the JSON a support system posts: calendars relative to the examples folder
    (the calendar root)."""
    data: dict[str, Any] = parse_yaml((EXAMPLES / name / "case.yaml").read_text())
    data = copy.deepcopy(data)

    def rooted(holder: dict[str, Any]) -> None:
        if isinstance(holder.get("calendar"), str):
            holder["calendar"] = f"{name}/{holder['calendar']}"

    for person in data.get("people", {}).values():
        rooted(person)
    for interpreter in data.get("interpreters", []):
        rooted(interpreter)
    for block in data.get("customer", {}).get("cab_blackouts", []):
        rooted(block)
    return data


def _test_principal(request: Request) -> Principal:
    user = _BY_ID.get(request.headers.get("x-test-user", ""))
    if user is None:
        from readout.entrypoints.http.auth import AuthProblem

        raise AuthProblem(401, "Not signed in", "no X-Test-User header")
    return Principal(user, "token", frozenset({"read", "write"}), "test")


@pytest.fixture
def clock() -> Clock:
    return Clock(u(2026, 11, 12, 15))  # the Globex case file's now: 2026-11-12T09:00:00-06:00


@pytest.fixture
def hold_calendar() -> MemoryHoldCalendar:
    return MemoryHoldCalendar()


@pytest.fixture
def deps(sql_uow_factory: Store, clock: Clock, hold_calendar: MemoryHoldCalendar) -> Deps:  # noqa: F811
    seed_users(sql_uow_factory)
    return Deps(
        uow=sql_uow_factory,
        reader=IcsFileReader(),
        holds=hold_calendar,
        clock=clock,
        cases=CaseFileBuilder(calendar_root=EXAMPLES),
        invites=MemoryInviteSender(),
        pinned=True,
    )


@pytest.fixture
def store(sql_uow_factory: Store) -> Store:  # noqa: F811
    return sql_uow_factory


@pytest.fixture
def client(deps: Deps, store: Store) -> Iterator[TestClient]:
    assert store.url is not None
    readiness = health.store_readiness(bootstrap.settings({"READOUT_DATABASE_URL": store.url}), {})
    app = create_app(deps, readiness=readiness)
    app.dependency_overrides[principal] = _test_principal
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


Act = Callable[..., Any]


def as_user(user_id: str, **headers: str) -> dict[str, str]:
    """Headers acting as ``user_id`` (plus any others)."""
    return {"X-Test-User": user_id, **headers}


def examples_root() -> Path:
    return EXAMPLES
