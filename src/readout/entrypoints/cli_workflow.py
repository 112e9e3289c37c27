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
from readout.domain.exception_requests import Decision
from readout.entrypoints.cli_output import emit, warning_block
from readout.errors import Refused
from readout.presentation import messages, times
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
    from readout.domain.escalation import Escalation
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
    deps = _deps(args)
    outcome = plan_escalation(deps, args.target, args.user, args.reason)
    _show_outcome(args, deps, outcome, limit)
    return 0


def _show_outcome(args: argparse.Namespace, deps: Deps, outcome: PlanOutcome, limit: int | None) -> None:
    esc = outcome.escalation
    zones = queries.zones_of_case(outcome.planned.case)
    deciders = queries.deciders(deps, esc.id) if outcome.request else ()
    request = None
    if outcome.request:
        request = {**request_view(outcome.request), "notified": False, "deciders": _deciders_view(deciders)}
    data = {
        "escalation": {**escalation_view(esc), "contract_zone": zones.contract},
        "case_version": {"version": esc.case_version, "digest": esc.case_digest, "new": outcome.new_version},
        "plan": plan_to_json(outcome.planned.plan, limit),
        "exception_request": request,
    }

    def show(console: Console) -> None:
        plan_report().render_plan(outcome.planned, console, limit, as_of=outcome.as_of.value)
        if outcome.new_version:
            console.print(f"\nStored case document version {esc.case_version} ({esc.case_digest[:12]}...).")
        console.print()
        if outcome.request:  # the request's "nobody notified" line stays next to the headline, last
            workflow_report().render_request(console, outcome.request, zones, deciders)
        console.print(_headline(esc, zones))

    emit(args, data, show)


def _headline(esc: Escalation, zones: queries.CaseZones | None) -> str:
    """``Escalation ESC-1 is now planned; deadline end of Thu 19 Nov (Mexico City) = Fri 20 Nov 06:00
    UTC.``"""
    zone = zones.contract if zones else "UTC"
    deadline = f"; deadline {times.deadline(esc.deadline, zone)}" if esc.deadline else ""
    return f"Escalation {esc.id} is now [bold]{esc.state.value}[/]{deadline}."


def _deciders_view(groups: tuple[queries.DeciderGroup, ...]) -> list[dict[str, object]]:
    return [
        {"family": g.family or None, "roles": list(g.roles), "users": [uid for uid, _ in g.users]}
        for g in groups
    ]


def _recorded(document: CaseDocument) -> CaseDocument:
    """The document with its origin as an absolute path, as the record keeps where it came from."""
    return dataclasses.replace(document, origin=str(Path(document.origin).absolute()))


def _open(args: argparse.Namespace) -> int:
    from readout.adapters.casefile.loader import read_case_file
    from readout.services.escalations import open_escalation

    document, deps = _recorded(read_case_file(args.case)), _deps(args)
    _show_outcome(args, deps, open_escalation(deps, document, args.user), 5)
    return 0


def _update(args: argparse.Namespace) -> int:
    from readout.adapters.casefile.loader import read_case_file
    from readout.services.escalations import update_case

    document, deps = _recorded(read_case_file(args.case)), _deps(args)
    _show_outcome(args, deps, update_case(deps, args.escalation, document, args.user), 5)
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
        outcome = holding.hold_slots(deps, args.escalation, args.user, args.slot)  # --slot: that one only
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
            console,
            outcome.live,
            f"Live holds of {outcome.escalation.id} ({outcome.escalation.state.value})",
            queries.case_zones(deps, outcome.escalation.id),
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


def _replacement(args: argparse.Namespace) -> tuple[str, str] | None:
    """``--replacement ROLE=PERSON`` when the parser offers it (a pair, or the text as typed)."""
    given = getattr(args, "replacement", None)
    if given is None or isinstance(given, tuple):
        return given
    role, _, person = str(given).partition("=")
    if not role.strip() or not person.strip():
        raise Refused(f"--replacement {given!r}: write ROLE=PERSON (e.g. fix_owner=priya)")
    return role.strip(), person.strip()


def _decision(args: argparse.Namespace) -> int:
    from readout.services import exceptions

    deps = _deps(args)
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
        "deciders": _deciders_view(status.deciders),
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
            workflow_report().render_request(console, waiting, status.zones, status.deciders)
        console.print(_headline(esc, status.zones))

    emit(args, data, show)
    return 0


def _review(args: argparse.Namespace) -> int:
    from readout.services import confirmation

    deps = _deps(args)
    result = confirmation.review(deps, args.escalation, args.user, args.slot)
    zones = queries.case_zones(deps, result.escalation.id)
    data = {
        "escalation": escalation_view(result.escalation),
        "contract_zone": zones.contract if zones else None,
        "packet": result.packet.as_dict(),
        "packet_digest": result.packet.digest,
        "waivers": [waiver_view(w) for w in result.waivers],
        "holds": [hold_view(h) for h in result.holds],
    }
    emit(args, data, lambda c: workflow_report().render_review(c, result, zones))
    return 0


def _confirm(args: argparse.Namespace) -> int:
    from readout.services import confirmation

    deps = _deps(args)
    outcome = confirmation.confirm(deps, args.escalation, args.user, args.packet)
    invited = any(e.kind.value == "send_invitation" for e in outcome.effects)
    data = {
        "escalation": escalation_view(outcome.escalation),
        "confirmed": outcome.confirmed,
        "reason": outcome.reason,
        "packet": outcome.packet.as_dict() if outcome.packet else None,
        "obstacles": list(outcome.obstacles),
        "next_steps": list(outcome.next_steps),
        "invitation_sent": None if not outcome.confirmed else (None if invited else False),
        "invitation_not_sent_reason": messages.NO_RELAY if outcome.confirmed and not invited else None,
        "effects": [effect_view(e) for e in outcome.effects],
    }

    def show(console: Console) -> None:
        esc = outcome.escalation
        if not outcome.confirmed:
            from rich.markup import escape

            console.print(
                f"[bold yellow]Not confirmed[/]: {escape(outcome.reason)}. Back to {esc.state.value}."
            )
            for obstacle in outcome.obstacles:
                if obstacle not in outcome.reason:  # the reason names the first ones already
                    console.print(f"  - {escape(obstacle)}")
            if outcome.next_steps:
                console.print("Next:")
                for step in outcome.next_steps:
                    console.print(f"  - {escape(step)}")
            return
        zones = queries.case_zones(deps, esc.id)
        slot = esc.review_slot
        when = times.slot(slot.start, slot.end, zones.contract if zones else "UTC") if slot else "?"
        console.print(f"[bold green]{messages.confirmed_headline(esc.confirmed_by or '?', when)}[/]")
        _show_effects(console, outcome.effects)
        if not invited:
            warning_block(console, messages.no_invitation_block(messages.NO_RELAY))
            if outcome.packet:
                workflow_report().render_invitees(
                    console, outcome.packet, "The reviewed packet: send it yourself"
                )

    emit(args, data, show)
    if not outcome.confirmed:
        return 3
    return EXIT_EFFECTS_PENDING if effects_pending(outcome.effects) else 0


def _cancel(args: argparse.Namespace) -> int:
    from readout.services import confirmation

    outcome = confirmation.cancel(_deps(args), args.escalation, args.user, args.reason)
    esc = outcome.escalation
    withdrawn = any(
        e.kind.value == "send_invitation" and e.payload.get("method") == "CANCEL" for e in outcome.effects
    )
    unannounced = esc.confirmed_by is not None and not withdrawn
    data = {
        **escalation_view(esc),
        "cancellation_sent": None if esc.confirmed_by is None else (None if withdrawn else False),
        "effects": [effect_view(e) for e in outcome.effects],
    }

    def show(console: Console) -> None:
        console.print(f"{esc.id} cancelled in Readout.")
        _show_effects(console, outcome.effects)
        if unannounced:
            warning_block(console, messages.no_cancellation_block())

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
        "contract_zone": status.zones.contract if status.zones else None,
        "invitation_sent": False if status.invited is False else None,
        "holds": [hold_view(h) for h in status.holds],
        "exception_requests": [request_view(r) for r in status.requests],
        "waivers": [waiver_view(w) for w in status.waivers],
        "effects": [effect_view(e) for e in status.effects],
        "plan": plan_to_json(status.plan, None) if status.plan else None,
    }
    emit(args, data, lambda c: workflow_report().render_status(c, status))
    return 0


def _list(args: argparse.Namespace) -> int:
    listing = queries.escalation_listing(_deps(args))
    views = [
        {**escalation_view(x.escalation), "contract_zone": x.zones.contract if x.zones else None}
        for x in listing
    ]

    def show(console: Console) -> None:
        if not listing:
            console.print("No escalations yet: `readout open CASE --as USER`.")
            return
        workflow_report().render_list(console, listing)

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
        zones = queries.case_zones(deps, args.escalation)
        emit(
            args,
            [audit_view(e) for e in entries],
            lambda c: workflow_report().render_audit(c, entries, zones),
        )
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
