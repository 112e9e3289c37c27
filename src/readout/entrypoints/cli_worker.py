"""``readout worker``: deliver the outbox and reap expired holds, once (``--once``) or every ``--every``
seconds, one line per pass saying what this process did (docs/workflow.md, "Worker")."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta
from typing import TYPE_CHECKING

from readout import bootstrap
from readout.errors import ReadoutError, StoreUnavailable

if TYPE_CHECKING:
    from readout.services.context import Deps
    from readout.services.worker import Pass, ReaperTurn

__all__ = ["EXIT_EFFECTS_PENDING", "run_worker"]

EXIT_EFFECTS_PENDING = 4  # a pass left an effect failed (a dead letter) or waiting for a retry


def run_worker(args: argparse.Namespace) -> int:
    """Run the passes; exit 0 when the last one left nothing failed or waiting, 4 otherwise (5: the store is
    unavailable, for ``--once``; a loop reports it and tries again at the next pass)."""
    from readout.services import worker

    if args.once and (args.every is not None or args.rounds is not None):
        raise ReadoutError("--once runs one pass: leave out --every and --rounds")
    from readout.observability import metrics_served

    deps = bootstrap.workflow_deps(args.now)
    turn = _reaper_turn(deps)
    config = bootstrap.settings()
    anchoring = (
        None
        if config.anchor_file is None
        else worker.Anchoring(config.anchor_file, timedelta(seconds=config.anchor_every))
    )

    def report(done: Pass) -> None:
        print(json.dumps(done.as_dict()) if args.json else done.line(), flush=True)

    def trouble(error: ReadoutError) -> None:
        what = "store unavailable" if isinstance(error, StoreUnavailable) else "error"
        print(
            f"readout worker: pass failed, {what}: {error}; trying again next pass",
            file=sys.stderr,
            flush=True,
        )

    last: Pass | None
    try:
        with metrics_served(deps, args.metrics_port):  # --metrics-port: /metrics on 127.0.0.1 while it runs
            if args.once:
                last = worker.run_pass(deps, turn, anchoring)
                report(last)
            else:
                every = args.every if args.every is not None else worker.EVERY
                last = worker.run(
                    deps,
                    report,
                    every=every,
                    rounds=args.rounds,
                    turn=turn,
                    anchoring=anchoring,
                    trouble=trouble,
                )
    except KeyboardInterrupt:  # the service loop is stopped by hand (or by make serve)
        return 0
    if last is None:
        return 5
    return 0 if last.settled else EXIT_EFFECTS_PENDING


def _reaper_turn(deps: Deps) -> ReaperTurn:
    """The reaper's turn on the store the workflow uses: an advisory lock on PostgreSQL."""
    from readout.adapters.sql.reaping import reaper_turn
    from readout.adapters.sql.unit_of_work import SqlUnitOfWork
    from readout.services.worker import alone

    made = deps.uow()  # not entered: no connection is opened
    if isinstance(made, SqlUnitOfWork):
        engine = made.engine
        return lambda: reaper_turn(engine)
    return alone
