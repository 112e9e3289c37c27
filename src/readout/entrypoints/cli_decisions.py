"""The CLI verbs that ask for and decide an exception: ``request-exception``, ``approve`` (a near miss's
waivers, or support leadership replacing a role holder) and ``reject``. Each shows the request's decision,
the waivers recorded, what the slot still needs, the request still open (or the new one) and the
escalation's new state.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from readout import bootstrap
from readout.domain.exception_requests import Decision
from readout.entrypoints.cli_escalations import deciders_view, headline
from readout.entrypoints.cli_output import emit
from readout.errors import Refused
from readout.presentation import times
from readout.services import queries
from readout.services.views import escalation_view, request_view, waiver_view

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["run_decision"]


def run_decision(args: argparse.Namespace) -> int:
    """``readout request-exception|approve|reject ESC --as USER --reason TEXT``."""
    from readout.services import exceptions

    deps = bootstrap.workflow_deps(args.now)
    if args.verb == "approve":
        outcome = exceptions.approve(
            deps,
            args.escalation,
            args.user,
            args.slot,
            args.reason,
            replacement=_replacement(args),
            customer_asked=bool(getattr(args, "customer_asked", False)),
        )
    elif args.verb == "reject":
        outcome = exceptions.reject(deps, args.escalation, args.user, args.reason)
    else:
        outcome = exceptions.request_exception(deps, args.escalation, args.user, args.reason)
    esc = outcome.plan.escalation if outcome.plan else outcome.escalation
    status = queries.escalation_status(deps, esc.id)
    waiting = next((r for r in status.requests if r.decision is Decision.OPEN), None)
    data = {
        "escalation": escalation_view(esc),
        "request": {**request_view(outcome.request), "notified": False},
        "approves": outcome.approves or None,
        "recorded": [waiver_view(w) for w in outcome.recorded],
        "still_needed": list(outcome.still_needed),
        "open_request": request_view(waiting) if waiting else None,
        "deciders": deciders_view(status.deciders),
    }

    def show(console: Console) -> None:
        zone = status.zones.contract if status.zones else "UTC"
        r = outcome.request
        console.print(f"Exception request #{r.id} ({r.route.value.replace('_', ' ')}): {r.decision.value}")
        if outcome.approves:
            console.print(f"Approved: {outcome.approves}")
        for w in outcome.recorded:
            when = times.slot(w.slot.start, w.slot.end, zone)
            console.print(f"Waiver recorded: {w.family} for {when} by {w.approved_by}")
        if outcome.still_needed:
            console.print(f"Still needed for this slot: {', '.join(outcome.still_needed)}")
        if waiting:  # still open, or a new one (a rejected waiver goes to support leadership)
            from readout.entrypoints.workflow_report import render_request  # rich, loaded when shown

            told = waiting.id in status.announced, waiting.id in status.emailed
            render_request(console, waiting, status.zones, status.deciders, *told)
        console.print(headline(esc, status.zones))

    emit(args, data, show)
    return 0


def _replacement(args: argparse.Namespace) -> tuple[str, str] | None:
    """``--replacement ROLE=PERSON`` when the parser offers it (a pair, or the text as typed)."""
    given = getattr(args, "replacement", None)
    if given is None or isinstance(given, tuple):
        return given
    role, _, person = str(given).partition("=")
    if not role.strip() or not person.strip():
        raise Refused(f"--replacement {given!r}: write ROLE=PERSON (e.g. fix_owner=priya)")
    return role.strip(), person.strip()
