"""The CLI verbs that plan a stored escalation: ``open CASE``, ``update ESC CASE`` and re-planning with
``plan ESC --as USER``. Each shows the plan (the readable report, or the spec's JSON plan with the
escalation, its case version and any exception request it opened) and the escalation's new state.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from readout import bootstrap
from readout.adapters.plan_json import plan_to_json
from readout.entrypoints.cli_output import emit
from readout.presentation import times
from readout.services import queries
from readout.services.views import escalation_view, request_view

if TYPE_CHECKING:
    from rich.console import Console

    from readout.domain.case_document import CaseDocument
    from readout.domain.escalation import Escalation
    from readout.services.context import Deps
    from readout.services.escalations import PlanOutcome

__all__ = ["deciders_view", "headline", "replan", "run_open", "run_update"]


def replan(args: argparse.Namespace) -> int:
    """``readout plan ESC --as USER``: re-plan a stored escalation from its stored case, reading the
    calendars again."""
    from readout.services.escalations import plan_escalation

    limit = None if args.all else args.limit
    deps = bootstrap.workflow_deps(args.now)
    outcome = plan_escalation(deps, args.target, args.user, args.reason)
    _show_outcome(args, deps, outcome, limit)
    return 0


def run_open(args: argparse.Namespace) -> int:
    """``readout open CASE --as USER``: store a case file as an escalation's record and plan it (again: a new
    version if it changed)."""
    from readout.adapters.casefile.loader import read_case_file
    from readout.services.escalations import open_escalation

    document, deps = _recorded(read_case_file(args.case)), bootstrap.workflow_deps(args.now)
    _show_outcome(args, deps, open_escalation(deps, document, args.user), 5)
    return 0


def run_update(args: argparse.Namespace) -> int:
    """``readout update ESC CASE --as USER``: store a changed case file as the escalation's next version and
    re-plan."""
    from readout.adapters.casefile.loader import read_case_file
    from readout.services.escalations import update_case

    document, deps = _recorded(read_case_file(args.case)), bootstrap.workflow_deps(args.now)
    _show_outcome(args, deps, update_case(deps, args.escalation, document, args.user), 5)
    return 0


def _recorded(document: CaseDocument) -> CaseDocument:
    """The document with its origin as an absolute path, as the record keeps where it came from."""
    return dataclasses.replace(document, origin=str(Path(document.origin).absolute()))


def _show_outcome(args: argparse.Namespace, deps: Deps, outcome: PlanOutcome, limit: int | None) -> None:
    esc = outcome.escalation
    zones = queries.zones_of_case(outcome.planned.case)
    deciders = queries.deciders(deps, esc.id) if outcome.request else ()
    announced, emailed = (
        queries.announced_requests(deps, esc.id) if outcome.request else (frozenset(), frozenset())
    )
    request = None
    if outcome.request:
        request = {**request_view(outcome.request), "notified": False, "deciders": deciders_view(deciders)}
    data = {
        "escalation": {**escalation_view(esc), "contract_zone": zones.contract},
        "case_version": {"version": esc.case_version, "digest": esc.case_digest, "new": outcome.new_version},
        "plan": plan_to_json(outcome.planned.plan, limit),
        "exception_request": request,
    }

    def show(console: Console) -> None:
        from readout.entrypoints.report import render_plan  # the terminal views (rich), loaded when shown

        render_plan(outcome.planned, console, limit, as_of=outcome.as_of.value)
        if outcome.new_version:
            console.print(f"\nStored case document version {esc.case_version} ({esc.case_digest[:12]}...).")
        console.print()
        if outcome.request:  # the request's "nobody notified" line stays next to the headline, last
            from readout.entrypoints.workflow_report import render_request

            told = outcome.request.id in announced, outcome.request.id in emailed
            render_request(console, outcome.request, zones, deciders, *told)
        console.print(headline(esc, zones))

    emit(args, data, show)


def headline(esc: Escalation, zones: queries.CaseZones | None) -> str:
    """``Escalation ESC-1 is now planned; deadline end of Thu 19 Nov (Mexico City) = Fri 20 Nov 06:00
    UTC.``"""
    zone = zones.contract if zones else "UTC"
    deadline = f"; deadline {times.deadline(esc.deadline, zone)}" if esc.deadline else ""
    return f"Escalation {esc.id} is now [bold]{esc.state.value}[/]{deadline}."


def deciders_view(groups: tuple[queries.DeciderGroup, ...]) -> list[dict[str, object]]:
    """Who may decide an exception request, as JSON: per family, the roles and user ids."""
    return [
        {"family": g.family or None, "roles": list(g.roles), "users": [uid for uid, _ in g.users]}
        for g in groups
    ]
