"""The workflow verbs of the CLI (open, hold, exceptions, review, confirm, cancel, reap, status, list, audit,
users) and re-planning a stored escalation: they all work on the store, so this module is imported only when
one of them runs (``readout plan CASE`` does not need it). The verbs that read a case file or calendars
import their use cases when they run, so that reading the store (status, list, audit, users) does not load
the case-file and calendar parsers.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from readout import bootstrap
from readout.adapters.plan_json import plan_to_json
from readout.entrypoints.cli_output import emit
from readout.errors import Refused
from readout.services import queries
from readout.services.users import verify_users_chain
from readout.services.views import (
    audit_view,
    effect_sentence,
    effect_view,
    effects_pending,
    escalation_view,
    hold_view,
    request_view,
    waiver_view,
)

if TYPE_CHECKING:
    from rich.console import Console

    from readout.domain.case_document import CaseDocument
    from readout.domain.effects import Effect
    from readout.services.context import Deps
    from readout.services.escalations import PlanOutcome

__all__ = ["EXIT_EFFECTS_PENDING", "replan", "run"]

# The decision is recorded but something it asked of a calendar or the mail relay is not done (yet).
EXIT_EFFECTS_PENDING = 4


def plan_report() -> ModuleType:
    """The plan's terminal view (rich), imported only when a readable report is printed."""
    from readout.entrypoints import report

    return report


def workflow_report() -> ModuleType:
    """The workflow terminal views (rich), imported only when a readable report is printed."""
    from readout.entrypoints import workflow_report

    return workflow_report


def _deps(args: argparse.Namespace) -> Deps:
    return bootstrap.workflow_deps(args.now)


def replan(args: argparse.Namespace) -> int:
    """``readout plan ESC --as USER``: re-plan a stored escalation from its stored case, reading the
    calendars again."""
    from readout.services.escalations import plan_escalation

    limit = None if args.all else args.limit
    outcome = plan_escalation(_deps(args), args.target, args.user, args.reason)
    _show_outcome(args, outcome, limit)
    return 0


def _show_outcome(args: argparse.Namespace, outcome: PlanOutcome, limit: int | None) -> None:
    esc = outcome.escalation
    data = {
        "escalation": escalation_view(esc),
        "case_version": {"version": esc.case_version, "digest": esc.case_digest, "new": outcome.new_version},
        "plan": plan_to_json(outcome.planned.plan, limit),
        "exception_request": request_view(outcome.request) if outcome.request else None,
    }

    def show(console: Console) -> None:
        plan_report().render_plan(outcome.planned, console, limit)
        if outcome.new_version:
            console.print(f"\nStored case document version {esc.case_version} ({esc.case_digest[:12]}...).")
        console.print(
            f"\nEscalation {outcome.escalation.id} is now [bold]{outcome.escalation.state.value}[/]."
        )
        if outcome.request:
            r = request_view(outcome.request)
            console.print(f"Exception request #{r['id']} sent to {r['route'].replace('_', ' ')}.")

    emit(args, data, show)


def _recorded(document: CaseDocument) -> CaseDocument:
    """The document with its origin as an absolute path, as the record keeps where it came from."""
    return dataclasses.replace(document, origin=str(Path(document.origin).absolute()))


def _open(args: argparse.Namespace) -> int:
    from readout.adapters.casefile.loader import read_case_file
    from readout.services.escalations import open_escalation

    document = _recorded(read_case_file(args.case))
    _show_outcome(args, open_escalation(_deps(args), document, args.user), 5)
    return 0


def _update(args: argparse.Namespace) -> int:
    from readout.adapters.casefile.loader import read_case_file
    from readout.services.escalations import update_case

    document = _recorded(read_case_file(args.case))
    _show_outcome(args, update_case(_deps(args), args.escalation, document, args.user), 5)
    return 0


def _hold(args: argparse.Namespace) -> int:
    from readout.services import holding

    deps = _deps(args)
    if args.extend:
        ttl = timedelta(hours=args.hours) if args.hours else None
        outcome = holding.extend_holds(deps, args.escalation, args.user, ttl)
    elif args.release:
        outcome = holding.release_holds(deps, args.escalation, args.user, args.slot)
    else:
        outcome = holding.hold_slots(deps, args.escalation, args.user)
    data = {
        "escalation": escalation_view(outcome.escalation),
        "live": [hold_view(h) for h in outcome.live],
        "placed": [hold_view(h) for h in outcome.placed],
        "problem": outcome.problem,
        "effects": [effect_view(e) for e in outcome.effects],
    }

    def show(console: Console) -> None:
        if outcome.problem:
            console.print(f"[yellow]{outcome.problem}[/]")
        workflow_report().render_holds(
            console, outcome.live, f"Live holds of {outcome.escalation.id} ({outcome.escalation.state.value})"
        )
        _show_effects(console, outcome.effects)

    emit(args, data, show)
    if outcome.problem:
        return 3
    return EXIT_EFFECTS_PENDING if effects_pending(outcome.effects) else 0


def _show_effects(console: Console, effects: tuple[Effect, ...]) -> None:
    """Say what was carried out outside Readout and what is only recorded."""
    for effect in effects:
        colour = "green" if not effects_pending([effect]) else "yellow"
        console.print(f"[{colour}]- {effect_sentence(effect)}[/]")


def _decision(args: argparse.Namespace) -> int:
    from readout.services import exceptions

    deps = _deps(args)
    if args.verb == "approve":
        outcome = exceptions.approve(deps, args.escalation, args.user, args.slot, args.reason)
    elif args.verb == "reject":
        outcome = exceptions.reject(deps, args.escalation, args.user, args.reason)
    else:
        outcome = exceptions.request_exception(deps, args.escalation, args.user, args.reason)
    request, recorded = request_view(outcome.request), [waiver_view(w) for w in outcome.recorded]
    data = {
        "escalation": escalation_view(outcome.escalation),
        "request": request,
        "recorded": recorded,
        "still_needed": list(outcome.still_needed),
    }

    def show(console: Console) -> None:
        console.print(f"Exception request #{request['id']} ({request['route']}): {request['decision']}")
        for w in recorded:
            console.print(f"Waiver recorded: {w['family']} for {w['start']} by {w['approved_by']}")
        if outcome.still_needed:
            console.print(f"Still needed for this slot: {', '.join(outcome.still_needed)}")
        console.print(f"Escalation {outcome.escalation.id} is now [bold]{outcome.escalation.state.value}[/].")

    emit(args, data, show)
    return 0


def _review(args: argparse.Namespace) -> int:
    from readout.services import confirmation

    result = confirmation.review(_deps(args), args.escalation, args.user, args.slot)
    data = {
        "escalation": escalation_view(result.escalation),
        "packet": result.packet.as_dict(),
        "packet_digest": result.packet.digest,
        "waivers": [waiver_view(w) for w in result.waivers],
        "holds": [hold_view(h) for h in result.holds],
    }
    emit(args, data, lambda c: workflow_report().render_review(c, result))
    return 0


def _confirm(args: argparse.Namespace) -> int:
    from readout.services import confirmation

    outcome = confirmation.confirm(_deps(args), args.escalation, args.user, args.packet)
    escalation = escalation_view(outcome.escalation)
    data = {
        "escalation": escalation,
        "confirmed": outcome.confirmed,
        "reason": outcome.reason,
        "packet": outcome.packet.as_dict() if outcome.packet else None,
        "effects": [effect_view(e) for e in outcome.effects],
    }
    invited = any(e.kind.value == "send_invitation" for e in outcome.effects)

    def show(console: Console) -> None:
        if outcome.confirmed:
            slot = outcome.escalation.review_slot
            when = f"{slot.start:%a %d %b %Y %H:%M}-{slot.end:%H:%M} UTC" if slot else "?"
            console.print(
                f"[bold green]Confirmed[/] in Readout by {outcome.escalation.confirmed_by}: {when}."
            )
            _show_effects(console, outcome.effects)
            if not invited:
                console.print(
                    f"[bold yellow]No invitation was sent[/]: {confirmation.NO_RELAY}. "
                    "Send the reviewed packet to the attendees yourself, or configure the relay."
                )
        else:
            console.print(
                f"[bold yellow]Not confirmed[/]: {outcome.reason}. Back to {outcome.escalation.state.value}."
            )

    emit(args, data, show)
    if not outcome.confirmed:
        return 3
    return EXIT_EFFECTS_PENDING if effects_pending(outcome.effects) else 0


def _cancel(args: argparse.Namespace) -> int:
    from readout.services import confirmation

    outcome = confirmation.cancel(_deps(args), args.escalation, args.user, args.reason)
    esc = outcome.escalation
    data = {**escalation_view(esc), "effects": [effect_view(e) for e in outcome.effects]}

    def show(console: Console) -> None:
        console.print(f"{esc.id} cancelled in Readout.")
        _show_effects(console, outcome.effects)

    emit(args, data, show)
    return EXIT_EFFECTS_PENDING if effects_pending(outcome.effects) else 0


def _reap(args: argparse.Namespace) -> int:
    deps = _deps(args)
    rounds = 0
    try:
        while True:
            _reap_once(args, deps)
            rounds += 1
            if not args.every or (args.rounds and rounds >= args.rounds):
                return 0
            time.sleep(args.every)
    except KeyboardInterrupt:  # the service loop is stopped by hand
        return 0


def _reap_once(args: argparse.Namespace, deps: Deps) -> None:
    from readout.services import holding

    reaped = holding.reap(deps)
    emit(args, [hold_view(h) for h in reaped], lambda c: c.print(f"{len(reaped)} expired hold(s) released."))


def _status(args: argparse.Namespace) -> int:
    status = queries.escalation_status(_deps(args), args.escalation)
    data = {
        "escalation": escalation_view(status.escalation),
        "holds": [hold_view(h) for h in status.holds],
        "exception_requests": [request_view(r) for r in status.requests],
        "waivers": [waiver_view(w) for w in status.waivers],
        "effects": [effect_view(e) for e in status.effects],
        "plan": plan_to_json(status.plan, None) if status.plan else None,
    }
    emit(args, data, lambda c: workflow_report().render_status(c, status))
    return 0


def _list(args: argparse.Namespace) -> int:
    escalations = queries.list_escalations(_deps(args))
    views = [escalation_view(e) for e in escalations]

    def show(console: Console) -> None:
        for v in views:
            console.print(f"{v['id']:<14} {v['state']:<22} {v['customer']:<20} deadline {v['deadline']}")
        if not views:
            console.print("No escalations yet: `readout open CASE --as USER`.")

    emit(args, views, show)
    return 0


def _audit(args: argparse.Namespace) -> int:
    deps = _deps(args)
    if args.action == "verify":
        problems = queries.verify_audit(deps, args.escalation)
        if args.escalation is None:
            users = verify_users_chain(deps)  # None: no users and no chain yet
            if users is not None:  # an escalation called "users" has its problems reported with the chain's
                problems["users"] = problems.get("users", []) + users

        def show(console: Console) -> None:
            for esc_id, found in problems.items():
                console.print(f"{esc_id}: " + ("[green]intact[/]" if not found else "[red]TAMPERED[/]"))
                for line in found:
                    console.print(f"  - {line}")

        emit(args, problems, show)
        return 1 if any(problems.values()) else 0
    if not args.escalation:
        raise Refused(f"audit {args.action} needs an escalation id")
    entries = queries.audit_trail(deps, args.escalation)
    if args.action == "show":
        emit(args, [audit_view(e) for e in entries], lambda c: workflow_report().render_audit(c, entries))
    elif args.format == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(["escalation", "seq", "at", "actor", "kind", "payload", "prev_hash", "hash"])
        for e in entries:
            v = audit_view(e)
            writer.writerow(
                [
                    v["escalation"],
                    v["seq"],
                    v["at"],
                    v["actor"],
                    v["kind"],
                    json.dumps(v["payload"], sort_keys=True),
                    v["prev_hash"],
                    v["hash"],
                ]
            )
    else:
        json.dump([audit_view(e) for e in entries], sys.stdout, indent=2)
        sys.stdout.write("\n")
    return 0


def _users(args: argparse.Namespace) -> int:
    from readout.entrypoints.cli_users import run_users

    return run_users(args)


_HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "open": _open,
    "update": _update,
    "hold": _hold,
    "request-exception": _decision,
    "approve": _decision,
    "reject": _decision,
    "review": _review,
    "confirm": _confirm,
    "cancel": _cancel,
    "reap": _reap,
    "status": _status,
    "list": _list,
    "audit": _audit,
    "users": _users,
}


def run(args: argparse.Namespace) -> int:
    """Run the workflow verb in ``args``; errors propagate to ``main``, which maps them to exit codes."""
    return _HANDLERS[args.verb](args)
