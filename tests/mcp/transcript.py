"""The transcript in docs/agents.md, from a real run: an agent takes the Initech case (examples/
cab-freeze-no-slot) through the tools, in process, until a person must decide. ``python -m
tests.mcp.transcript`` prints it; tests/mcp/test_transcript.py checks the doc still shows what a run shows."""

from __future__ import annotations

import json
from typing import Any

import anyio
import yaml

from mcp import Client
from readout.adapters.casefile.loader import CaseFileBuilder, read_case_file
from readout.adapters.casefile.users import load_users
from readout.adapters.ics.files import IcsFileReader
from readout.adapters.memory.hold_calendar import MemoryHoldCalendar
from readout.adapters.memory.invites import MemoryInviteSender
from readout.adapters.memory.store import MemoryStore, MemoryUnitOfWork
from readout.domain.users import User, UserKind
from readout.entrypoints.mcp import Caller, build_server
from readout.services.context import Deps
from readout.services.escalations import open_escalation
from readout.services.users import import_users
from tests.services.flows import EXAMPLES, FREEZE, FREEZE_ID, Clock

AGENT = User("planner-bot", "Planning agent", "", frozenset(), kind=UserKind.AGENT, on_behalf_of="dana")
BEGIN, END = "<!-- transcript: begin -->", "<!-- transcript: end -->"


def _deps() -> Deps:
    memory = MemoryStore()
    case = EXAMPLES / FREEZE / "case.yaml"
    clock = Clock(yaml.safe_load(case.read_text())["now"])
    deps = Deps(
        uow=lambda: MemoryUnitOfWork(memory),
        reader=IcsFileReader(),
        holds=MemoryHoldCalendar(),
        clock=clock,
        cases=CaseFileBuilder(),
        invites=MemoryInviteSender(),
        pinned=True,
    )
    import_users(deps, [*load_users(EXAMPLES / "users.yaml"), AGENT], None)
    open_escalation(deps, read_case_file(case), "dana")  # Dana (a person) opens it: `readout open`
    return deps


def _steps(near: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        ("explain_slot", {"escalation_id": FREEZE_ID, "start": near}),
        ("slot_availability", {"escalation_id": FREEZE_ID, "start": near}),
        ("place_holds", {"escalation_id": FREEZE_ID, "starts": [near]}),
        (
            "request_exception",
            {"escalation_id": FREEZE_ID, "reason": "no compliant slot before the deadline"},
        ),
        ("audit_trail", {"escalation_id": FREEZE_ID, "last": 3}),
    ]


def transcript() -> str:
    """The run, as markdown: each call the agent made and what came back (the text a client shows)."""
    deps = _deps()
    server = build_server(deps, lambda _ctx: Caller(AGENT.id), 3)
    lines: list[str] = []

    def show(name: str, arguments: dict[str, Any], error: bool, text: str) -> None:
        lines.append(f"→ {name} {json.dumps(arguments, ensure_ascii=False)}")
        lines.append(f"← {'ERROR ' if error else ''}{text}")
        lines.append("")

    async def main() -> None:
        async with Client(server) as client:
            for name, arguments in (
                ("list_escalations", {}),
                ("get_escalation", {"escalation_id": FREEZE_ID}),
                ("plan", {"escalation_id": FREEZE_ID}),
            ):
                result = await client.call_tool(name, arguments)
                show(
                    name, arguments, result.is_error, "".join(getattr(b, "text", "") for b in result.content)
                )
            assert result.structured_content is not None
            near = result.structured_content["near_misses_local"][0]["start"]
            for name, arguments in _steps(near):
                result = await client.call_tool(name, arguments)
                show(
                    name, arguments, result.is_error, "".join(getattr(b, "text", "") for b in result.content)
                )

    anyio.run(main)
    return "\n".join(["```text", *lines[:-1], "```"])


if __name__ == "__main__":
    print(transcript())
