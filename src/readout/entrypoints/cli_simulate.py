"""The ``simulate`` verb of the CLI: a seeded support organisation on a virtual clock (docs/outcomes.md)."""

from __future__ import annotations

import argparse

__all__ = ["add_parser", "run"]


def add_parser(verbs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``readout simulate`` to ``verbs`` (argparse only: nothing heavy is imported here)."""
    help_text = "simulate a support organisation receiving incidents over weeks, and report the outcomes"
    verbs.add_parser("simulate", help=help_text, description=help_text)


def run(args: argparse.Namespace) -> int:
    """Run ``readout simulate``."""
    from readout.errors import Refused

    raise Refused("readout simulate is not built yet")
