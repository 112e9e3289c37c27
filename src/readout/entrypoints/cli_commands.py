"""One handler per CLI verb: build the adapters, call the use case, present the result.

``readout plan CASE`` is the command people run most and wait for, so this module loads only what planning a
case file needs; the workflow verbs (and re-planning a stored escalation) live in ``cli_workflow``, which
brings the store (SQLAlchemy, migrations) and every workflow service, and is imported only when one runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from readout.entrypoints.cli_output import emit
from readout.errors import NotFound

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["run"]

_CASE_SUFFIXES = (".yaml", ".yml", ".json")


def _plan(args: argparse.Namespace) -> int:
    path = Path(args.target)
    if not (path.exists() or path.suffix.lower() in _CASE_SUFFIXES):
        if not args.user:
            hint = "to re-plan a stored escalation, add --as USER"
            raise NotFound(f"{args.target}: no such case file ({hint})")
        from readout.entrypoints import cli_workflow

        return cli_workflow.replan(args)
    from readout import bootstrap
    from readout.adapters.casefile.loader import load_case
    from readout.adapters.plan_json import plan_to_json
    from readout.services.planning import plan_case

    limit = None if args.all else args.limit
    config = bootstrap.settings()
    reader = bootstrap.calendar_reader(config)
    loaded = load_case(path)
    when = args.now or loaded.now or bootstrap.clock()()
    as_of = "--now" if args.now else ("the case file's now:" if loaded.now else None)
    planned = plan_case(loaded, reader, when, config.source_timeout)

    def show(console: Console) -> None:
        from readout.entrypoints.report import render_plan

        render_plan(planned, console, limit, as_of=as_of)

    emit(args, plan_to_json(planned.plan, limit), show)
    return 0


def run(args: argparse.Namespace) -> int:
    """Run the verb named in ``args``; errors propagate to ``main``, which maps them to exit codes."""
    if args.verb == "plan":
        return _plan(args)
    from readout.entrypoints import cli_workflow

    return cli_workflow.run(args)
