"""The ``mcp`` verb of the CLI: the agent tool surface over stdio (docs/agents.md).

``readout mcp --as AGENT`` serves the tools on standard input and output for a desktop client that starts it
as a subprocess, on the store in ``READOUT_DATABASE_URL``; every tool acts as ``AGENT`` (an agent user, or a
person) and records ``via: mcp``. Nothing else is written to standard output (it carries the protocol):
start-up problems go to standard error with the usual exit codes (2: unknown user or bad setting, 3: an
agent whose principal may not have one).
"""

from __future__ import annotations

import argparse

from readout.entrypoints.cli_types import timestamp

__all__ = ["add_parser", "run"]


def add_parser(verbs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``readout mcp`` to ``verbs`` (argparse only: nothing heavy is imported here)."""
    help_text = "serve the agent tool surface (Model Context Protocol) over stdio"
    parser = verbs.add_parser(
        "mcp",
        help=help_text,
        description=(
            f"{help_text}: every tool acts as USER (an agent user acting on behalf of a coordinator, or a "
            "person). Agents plan, hold and request exceptions; Readout refuses them review, confirmation, "
            "decisions, waivers and cancelling. READOUT_AGENT_MAX_HOLDS caps an agent's live holds "
            "(default 3)."
        ),
    )
    parser.add_argument(
        "--as", dest="user", required=True, metavar="USER", help="the user every tool acts as"
    )
    parser.add_argument(
        "--now", type=timestamp, metavar="TS", help="act as if the current instant were TS (a rehearsal)"
    )


def run(args: argparse.Namespace) -> int:
    """Run ``readout mcp``: check the user and the settings, then serve until the client closes stdin."""
    import os

    from readout import bootstrap
    from readout.entrypoints.mcp import Caller, build_server, max_holds_from
    from readout.entrypoints.mcp.acting import resolve

    max_holds = max_holds_from(os.environ)
    deps = bootstrap.workflow_deps(args.now)
    caller = Caller(args.user)
    resolve(deps, caller)  # an unknown user or an agent without a valid principal: refused before serving
    server = build_server(deps, lambda _ctx: caller, max_holds)
    server.run("stdio")
    return 0
