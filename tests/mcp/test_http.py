"""The agent surface over streamable HTTP in ``readout serve``'s app, served by uvicorn on 127.0.0.1, on
SQLite and PostgreSQL: a token with the ``mcp`` scope acts as its user (an agent: on behalf of its person,
the token named in the trail), a token without it is 403, no token or a bad one is 401."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
import httpx2
import pytest
import uvicorn
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult

from mcp import Client
from readout import bootstrap
from readout.entrypoints.http import health
from readout.entrypoints.http.app import create_app
from readout.services import auth
from readout.services.context import Deps
from tests.mcp.conftest import AGENT
from tests.services.flows import GLOBEX, GLOBEX_ID, Desk
from tests.support.db_fixtures import Store


@pytest.fixture
def store_uow(sql_uow_factory: Store) -> Store:
    return sql_uow_factory


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # a thread cannot install them; the test stops it
        pass


@dataclass(frozen=True)
class Served:
    url: str
    deps: Deps


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def served(deps: Deps, store_uow: Store) -> Iterator[Served]:
    assert store_uow.url is not None
    readiness = health.store_readiness(bootstrap.settings({"READOUT_DATABASE_URL": store_uow.url}), {})
    app = create_app(deps, readiness=readiness)
    port = _free_port()
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the app did not start"
        time.sleep(0.02)
    try:
        yield Served(f"http://127.0.0.1:{port}", deps)
    finally:
        server.should_exit = True
        thread.join(10)


def _token(deps: Deps, user: str, scopes: set[str]) -> tuple[str, str]:
    made = auth.create_token(deps, user, "agent surface", frozenset(scopes), 30, user)
    return made.text, made.token.id


def _over_http(url: str, token: str, calls: list[tuple[str, dict[str, Any]]]) -> list[CallToolResult]:
    async def main() -> list[CallToolResult]:
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30)
        async with http, Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            assert "place_holds" in names
            assert "confirm" not in names
            return [await client.call_tool(name, arguments) for name, arguments in calls]

    return anyio.run(main)


def test_an_agent_token_plans_and_holds_over_http(served: Served, desk: Desk) -> None:
    desk.open(GLOBEX)
    token, token_id = _token(served.deps, AGENT, {"mcp"})
    start = desk.eligible(GLOBEX_ID)[0].slot.start.strftime("%Y-%m-%dT%H:%M:%SZ")
    plan, hold, bad = _over_http(
        served.url,
        token,
        [
            ("plan", {"escalation_id": GLOBEX_ID}),
            ("place_holds", {"escalation_id": GLOBEX_ID, "starts": [start]}),
            ("get_escalation", {"escalation_id": "ESC-404"}),
        ],
    )
    assert not plan.is_error
    assert plan.structured_content is not None
    assert plan.structured_content["plan"]["status"] == "ready"
    assert not hold.is_error
    assert bad.is_error
    assert "no escalation 'ESC-404'" in "".join(getattr(b, "text", "") for b in bad.content)
    [placed] = [e for e in desk.audit(GLOBEX_ID) if e.kind == "hold_placed"]
    assert placed.actor == AGENT
    assert placed.payload["on_behalf_of"] == "dmitri"
    assert placed.payload["via"] == "mcp"
    assert placed.payload["credential"] == f"token {token_id}"


def test_a_token_without_the_mcp_scope_is_refused(served: Served) -> None:
    token, _ = _token(served.deps, AGENT, {"read", "write"})
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {"Accept": "application/json, text/event-stream"}
    refused = httpx.post(
        f"{served.url}/mcp", json=body, headers={**headers, "Authorization": f"Bearer {token}"}
    )
    assert refused.status_code == 403
    assert "'mcp'" in refused.json()["detail"]
    anonymous = httpx.post(f"{served.url}/mcp", json=body, headers=headers)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    forged = httpx.post(
        f"{served.url}/mcp", json=body, headers={**headers, "Authorization": "Bearer rdt_nope"}
    )
    assert forged.status_code == 401
