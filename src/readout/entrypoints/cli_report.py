"""The ``report`` verb of the CLI: the outcome measures over a period (docs/outcomes.md)."""

from __future__ import annotations

import argparse

__all__ = ["add_parser", "run"]


def add_parser(
    verbs: argparse._SubParsersAction[argparse.ArgumentParser], parents: list[argparse.ArgumentParser]
) -> None:
    """Add ``readout report`` to ``verbs`` (argparse only: nothing heavy is imported here)."""
    help_text = "the outcome measures over a period, per customer (docs/outcomes.md)"
    verbs.add_parser("report", help=help_text, description=help_text, parents=parents)


def run(args: argparse.Namespace) -> int:
    """Run ``readout report``."""
    from readout.errors import Refused

    raise Refused("readout report is not built yet")
