"""The ``audit`` verb of the CLI: show, verify or export an escalation's audit trail."""

from __future__ import annotations

import argparse

__all__ = ["add_parser", "run"]


def add_parser(
    verbs: argparse._SubParsersAction[argparse.ArgumentParser], parents: list[argparse.ArgumentParser]
) -> None:
    """Add ``readout audit`` to ``verbs`` (argparse only: nothing heavy is imported here)."""
    help_text = "show, verify or export the audit trail"
    audit = verbs.add_parser("audit", help=help_text, description=help_text, parents=parents)
    audit.add_argument("action", choices=["show", "verify", "export"])
    audit.add_argument("escalation", nargs="?", metavar="ESC", help="escalation (verify: all when omitted)")
    audit.add_argument("--format", choices=["json", "csv"], default="json", help="export format")


def run(args: argparse.Namespace) -> int:
    """Run ``readout audit``; errors propagate to ``main``, which maps them to exit codes."""
    from readout.entrypoints.cli_queries import run_audit

    return run_audit(args)
