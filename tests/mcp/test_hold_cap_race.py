"""Two calls of one agent at the same moment cannot both pass its hold cap: the SDK runs each tool call in a
thread of its own, so the server takes an agent's check-and-place one at a time."""

from __future__ import annotations

import time
from typing import Any

import anyio
import pytest
from mcp_types import CallToolResult

from mcp import Client
from readout.entrypoints.mcp import server
from readout.services.context import Deps
from tests.mcp.conftest import AGENT, in_process
from tests.services.flows import GLOBEX, GLOBEX_ID, Desk


def test_racing_calls_of_one_agent_place_no_more_than_its_cap(
    desk: Desk, deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk.open(GLOBEX)
    first, second = [e.slot.start.strftime("%Y-%m-%dT%H:%M:%SZ") for e in desk.eligible(GLOBEX_ID)[:2]]
    counted = server.agent_live_holds

    def slowly(*args: Any) -> Any:  # widen the window between counting and placing
        found = counted(*args)
        time.sleep(0.3)
        return found

    monkeypatch.setattr(server, "agent_live_holds", slowly)

    async def body(client: Client) -> list[CallToolResult]:
        results: list[CallToolResult] = []

        async def place(start: str) -> None:
            arguments = {"escalation_id": GLOBEX_ID, "starts": [start]}
            results.append(await client.call_tool("place_holds", arguments))

        async with anyio.create_task_group() as group:
            group.start_soon(place, first)
            group.start_soon(place, second)
        return results

    results = in_process(deps, AGENT, body, max_holds=1)

    assert sorted(r.is_error for r in results) == [False, True]
    assert len(desk.live_holds(GLOBEX_ID)) == 1
