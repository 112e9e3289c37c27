"""The ``mcp`` verb of the CLI: the agent tool surface over stdio (docs/agents.md)."""

from __future__ import annotations

import argparse

__all__ = ["add_parser", "run"]


def add_parser(verbs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``readout mcp`` to ``verbs`` (argparse only: nothing heavy is imported here)."""
    help_text = "serve the agent tool surface (Model Context Protocol) over stdio"
    verbs.add_parser("mcp", help=help_text, description=help_text)


def run(args: argparse.Namespace) -> int:
    """Run ``readout mcp``."""
    from readout.errors import Refused

    raise Refused("readout mcp is not built yet")
