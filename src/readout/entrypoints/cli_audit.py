"""The ``audit`` verb of the CLI: show, verify, explain, export or anchor an escalation's audit trail."""

from __future__ import annotations

import argparse
from pathlib import Path

from readout.entrypoints.cli_types import timestamp

__all__ = ["add_parser", "run"]

_ACTIONS = ["show", "verify", "explain", "export", "anchor"]


def add_parser(
    verbs: argparse._SubParsersAction[argparse.ArgumentParser], parents: list[argparse.ArgumentParser]
) -> None:
    """Add ``readout audit`` to ``verbs`` (argparse only: nothing heavy is imported here)."""
    help_text = "show, verify, explain, export or anchor the audit trail"
    description = (
        "show ESC: the entries in words; verify [ESC] [--anchor FILE]: the hash chains, the log against the "
        "stored state, holds and waivers, and (with --anchor) every head anchored in FILE; explain ESC "
        "--slot START: what each plan made of that start, its holds and exceptions, from the log alone; "
        "export ESC [--format json|csv|jsonl|html] [--output FILE]; anchor --anchor FILE: append every "
        "chain's head to FILE (and post it to the leadership channel when one is configured). docs/audit.md"
    )
    audit = verbs.add_parser("audit", help=help_text, description=description, parents=parents)
    audit.add_argument("action", choices=_ACTIONS)
    audit.add_argument("escalation", nargs="?", metavar="ESC", help="escalation (verify: all when omitted)")
    audit.add_argument(
        "--format",
        choices=["json", "csv", "jsonl", "html"],
        default="json",
        help="export format: json, csv, jsonl (self-describing, verifiable offline) or html (a report)",
    )
    audit.add_argument(
        "--output", type=Path, metavar="FILE", help="export: write FILE (atomically), not stdout"
    )
    audit.add_argument("--slot", type=timestamp, metavar="START", help="explain: the slot's start (ISO 8601)")
    audit.add_argument(
        "--anchor", type=Path, metavar="FILE", help="anchor: the file to append to; verify: the file to check"
    )


def run(args: argparse.Namespace) -> int:
    """Run ``readout audit``; errors propagate to ``main``, which maps them to exit codes."""
    from readout.entrypoints.cli_queries import run_audit

    return run_audit(args)
