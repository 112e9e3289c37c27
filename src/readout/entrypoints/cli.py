"""Command line: parse, call a service, present, map errors to exit codes (0 plan, 2 bad input)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from rich.console import Console

from readout import __version__, bootstrap
from readout.entrypoints.report import render_plan
from readout.errors import ReadoutError
from readout.services.plan_json import plan_to_json
from readout.services.planning import plan_case_file

__all__ = ["main"]

EXIT_OK = 0
EXIT_BAD_INPUT = 2

_DESCRIPTION = """\
Readout schedules the contractual root-cause-analysis readout after a serious incident: it computes the
deadline (N business days after the customer-safe RCA approval), finds every compliant slot for the
required roles, ranks them, and explains what blocks the rest.
"""

_PLAN_HELP = """\
Plan the readout described by CASE (a YAML or JSON case file, see docs/case-file.md).

Prints the deadline in the contract zone and UTC, the best compliant slots in every role holder's local
time with the reasons for their rank, near misses that need only a coverage or handoff-window waiver,
and, when nothing complies, the causes. Exit status: 0 for any plan result (ready, needs_exception,
not_ready), 2 when the case file or a calendar it names is invalid.
"""


def _timestamp(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 timestamp") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no offset: write Z or +HH:MM") from None
    return moment


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    """The ``readout`` argument parser."""
    parser = argparse.ArgumentParser(prog="readout", description=_DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"readout {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="COMMAND", required=True)
    plan = verbs.add_parser(
        "plan",
        help="find, rank and explain readout slots for a case file",
        description=_PLAN_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    plan.add_argument("case", type=Path, metavar="CASE", help="case file (.yaml, .yml or .json)")
    plan.add_argument("--json", action="store_true", help="print the JSON result (spec section 6)")
    plan.add_argument("--all", action="store_true", help="every candidate and near miss, not just the best")
    plan.add_argument(
        "--now",
        type=_timestamp,
        metavar="TS",
        help="plan as of this instant (ISO 8601 with offset); default: the case file's `now`, else the clock",
    )
    plan.add_argument(
        "--limit", type=_positive, default=5, metavar="N", help="how many candidates to show (default 5)"
    )
    return parser


def _plan(args: argparse.Namespace) -> int:
    planned = plan_case_file(args.case, bootstrap.calendar_reader(), bootstrap.clock(), args.now)
    limit = None if args.all else args.limit
    if args.json:
        json.dump(plan_to_json(planned.plan, limit), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        render_plan(planned, Console(), limit)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``readout`` command."""
    args = build_parser().parse_args(argv)
    try:
        return _plan(args)
    except ReadoutError as err:
        print(f"readout: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
