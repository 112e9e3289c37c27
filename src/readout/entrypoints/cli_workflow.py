"""The workflow verbs of the CLI (open, hold, exceptions, review, confirm, cancel, reap, status, list, audit,
users) and re-planning a stored escalation: they all work on the store, so this module is imported only when
one of them runs (``readout plan CASE`` does not need it). The verbs that read a case file or calendars
import their use cases when they run, so that reading the store (status, list, audit, users) does not load
the case-file and calendar parsers.

This module only dispatches; the verbs live beside it by the use cases they call: ``cli_escalations`` (open,
update, re-plan), ``cli_decisions`` (request-exception, approve, reject), ``cli_holds`` (hold, reap, review,
confirm, cancel), ``cli_queries`` (status, list, audit) and ``cli_users`` (users).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from readout.entrypoints import cli_decisions, cli_escalations, cli_holds, cli_queries
from readout.entrypoints.cli_escalations import replan

__all__ = ["replan", "run"]


def run(args: argparse.Namespace) -> int:
    """Run the workflow verb in ``args``; errors propagate to ``main``, which maps them to exit codes."""
    return _HANDLERS[args.verb](args)


def _users(args: argparse.Namespace) -> int:
    from readout.entrypoints.cli_users import run_users

    return run_users(args)


_HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "open": cli_escalations.run_open,
    "update": cli_escalations.run_update,
    "hold": cli_holds.run_hold,
    "request-exception": cli_decisions.run_decision,
    "approve": cli_decisions.run_decision,
    "reject": cli_decisions.run_decision,
    "review": cli_holds.run_review,
    "confirm": cli_holds.run_confirm,
    "cancel": cli_holds.run_cancel,
    "reap": cli_holds.run_reap,
    "status": cli_queries.run_status,
    "list": cli_queries.run_list,
    "audit": cli_queries.run_audit,
    "users": _users,
}
