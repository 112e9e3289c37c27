"""Every tool checks the caller's scopes itself, not only the HTTP door: a caller whose token lacks the `mcp`
scope gets a tool error from any tool and nothing changes; a token with it, or the local operator over
stdio (no token), is served."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from mcp import Client
from readout.entrypoints.mcp import Caller, build_server
from readout.services.context import Deps
from tests.mcp.conftest import AGENT
from tests.services.flows import GLOBEX, GLOBEX_ID, Desk


def _calls(deps: Deps, caller: Caller, start: str) -> list[Any]:
    server = build_server(deps, lambda _ctx: caller, 3)

    async def main() -> list[Any]:
        async with Client(server) as client:
            return [
                await client.call_tool("get_escalation", {"escalation_id": GLOBEX_ID}),
                await client.call_tool("place_holds", {"escalation_id": GLOBEX_ID, "starts": [start]}),
            ]

    return anyio.run(main)


@pytest.mark.parametrize(
    ("scopes", "served"),
    [(frozenset({"read", "write"}), False), (frozenset({"mcp"}), True), (None, True)],
)
def test_each_tool_checks_the_mcp_scope(
    desk: Desk, deps: Deps, scopes: frozenset[str] | None, served: bool
) -> None:
    desk.open(GLOBEX)
    start = desk.eligible(GLOBEX_ID)[0].slot.start.strftime("%Y-%m-%dT%H:%M:%SZ")
    read, held = _calls(deps, Caller(AGENT, "token t1" if scopes else None, scopes), start)
    assert (read.is_error, held.is_error) == (not served, not served)
    if not served:
        text = "".join(getattr(b, "text", "") for b in held.content)
        assert "does not carry the scope 'mcp'" in text
    assert len(desk.live_holds(GLOBEX_ID)) == (1 if served else 0)
