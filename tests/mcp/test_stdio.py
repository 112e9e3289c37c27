"""``readout mcp --as AGENT`` for real: a client starts it as a subprocess (as a desktop client does) on a
SQLite store prepared with the CLI, lists the tools and holds a slot; a start-up problem is one line on
standard error with the documented exit code, never a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import anyio
from mcp_types import CallToolResult

from mcp import Client, StdioServerParameters
from tests.services.flows import EXAMPLES, GLOBEX, GLOBEX_ID

READOUT = [sys.executable, "-m", "readout.entrypoints.cli"]
NOW = "2026-11-12T09:00:00-06:00"  # the Globex case file's now:
USERS = """\
users:
  - {id: alex, name: Alex Kim, roles: [administrator]}
  - {id: dana, name: Dana Ortiz, roles: [escalation_manager]}
  - {id: planner-bot, name: Planning agent, kind: agent, on_behalf_of: dana}
"""


def _store(tmp_path: Path) -> dict[str, str]:
    shutil.copytree(EXAMPLES / GLOBEX, tmp_path / GLOBEX)
    (tmp_path / "users.yaml").write_text(USERS)
    env = {**os.environ, "READOUT_DATABASE_URL": f"sqlite:///{tmp_path / 'readout.db'}"}
    env.pop("READOUT_AGENT_MAX_HOLDS", None)
    for args in (
        ["users", "import", "users.yaml"],
        ["open", f"{GLOBEX}/case.yaml", "--as", "dana", "--now", NOW],
    ):
        subprocess.run([*READOUT, *args], cwd=tmp_path, env=env, check=True, capture_output=True, timeout=60)
    return env


def test_a_desktop_client_holds_a_slot_over_stdio(tmp_path: Path) -> None:
    env = _store(tmp_path)
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "readout.entrypoints.cli", "mcp", "--as", "planner-bot", "--now", NOW],
        env=env,
        cwd=str(tmp_path),
    )

    async def main() -> tuple[set[str], CallToolResult, CallToolResult]:
        async with Client(params) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            plan = await client.call_tool("plan", {"escalation_id": GLOBEX_ID})
            assert plan.structured_content is not None
            start = plan.structured_content["plan"]["candidates"][0]["start"]
            held = await client.call_tool("place_holds", {"escalation_id": GLOBEX_ID, "starts": [start]})
            trail = await client.call_tool("audit_trail", {"escalation_id": GLOBEX_ID})
            return names, held, trail

    names, held, trail = anyio.run(main)
    assert "place_holds" in names
    assert not held.is_error
    assert trail.structured_content is not None
    placed = [e for e in trail.structured_content["entries"] if e["kind"] == "hold_placed"]
    assert [(e["actor"], e["on_behalf_of"], e["via"]) for e in placed] == [("planner-bot", "dana", "mcp")]


def test_start_up_problems_are_one_line_and_an_exit_code(tmp_path: Path) -> None:
    env = _store(tmp_path)
    unknown = subprocess.run(
        [*READOUT, "mcp", "--as", "nobody"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert unknown.returncode == 2
    assert (
        unknown.stderr.strip()
        == "readout: error: no user 'nobody' (import users with `readout users import FILE`)"
    )
    bad = subprocess.run(
        [*READOUT, "mcp", "--as", "planner-bot"],
        env={**env, "READOUT_AGENT_MAX_HOLDS": "lots"},
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert bad.returncode == 2
    assert "READOUT_AGENT_MAX_HOLDS='lots': expected a whole number from 1 to 100" in bad.stderr
    assert "Traceback" not in bad.stderr
