"""The CLI verbs that act on calendars and the mail relay, from a tentative hold to the confirmed readout:
``hold`` (extend, release), ``reap``, ``review``, ``confirm`` and ``cancel``. Each says which of its effects
were carried out outside Readout and which are only recorded, and exits with ``EXIT_EFFECTS_PENDING``
while one is pending.
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta
from typing import TYPE_CHECKING

from readout import bootstrap
from readout.entrypoints.cli_output import emit, warning_block
from readout.presentation import messages, times
from readout.services import queries
from readout.services.views import (
    effect_sentence,
    effect_view,
    effects_pending,
    escalation_view,
    hold_view,
    review_view,
)

if TYPE_CHECKING:
    from rich.console import Console

    from readout.domain.effects import Effect
    from readout.services.context import Deps

__all__ = ["EXIT_EFFECTS_PENDING", "run_cancel", "run_confirm", "run_hold", "run_reap", "run_review"]

# The decision is recorded but something it asked of a calendar or the mail relay is not done (yet).
EXIT_EFFECTS_PENDING = 4


def run_hold(args: argparse.Namespace) -> int:
    """``readout hold ESC --as USER``: hold the best eligible slots (or one ``--slot``), or ``--extend`` or
    ``--release`` the live holds; exits 3 when nothing could be held."""
    from readout.services import holding

    deps = bootstrap.workflow_deps(args.now)
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
        from readout.entrypoints.workflow_report import render_holds  # rich, loaded when shown

        if outcome.problem:
            console.print(f"[yellow]{outcome.problem}[/]")
        render_holds(
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


def run_reap(args: argparse.Namespace) -> int:
    """``readout reap``: release every hold past its expiry, once or every ``--every`` seconds (``--rounds``
    times, or until stopped by hand)."""
    deps = bootstrap.workflow_deps(args.now)
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


def run_review(args: argparse.Namespace) -> int:
    """``readout review ESC --slot START --as USER``: select a held slot and show its invite packet for
    review (sends nothing)."""
    from readout.services import confirmation

    deps = bootstrap.workflow_deps(args.now)
    result = confirmation.review(deps, args.escalation, args.user, args.slot)
    zones = queries.case_zones(deps, result.escalation.id)
    data = review_view(result, zones.contract if zones else None)

    def show(console: Console) -> None:
        from readout.entrypoints.workflow_report import render_review  # rich, loaded when shown

        render_review(console, result, zones)

    emit(args, data, show)
    return 0


def run_confirm(args: argparse.Namespace) -> int:
    """``readout confirm ESC --packet DIGEST --as USER``: confirm the reviewed slot after a fresh free/busy
    check; exits 3 when it is not confirmed."""
    from readout.services import confirmation

    deps = bootstrap.workflow_deps(args.now)
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
                from readout.entrypoints.workflow_report import render_invitees

                render_invitees(console, outcome.packet, "The reviewed packet: send it yourself")

    emit(args, data, show)
    if not outcome.confirmed:
        return 3
    return EXIT_EFFECTS_PENDING if effects_pending(outcome.effects) else 0


def run_cancel(args: argparse.Namespace) -> int:
    """``readout cancel ESC --as USER --reason TEXT``: cancel the readout and release its holds (a confirmed
    one is withdrawn from its attendees)."""
    from readout.services import confirmation

    outcome = confirmation.cancel(bootstrap.workflow_deps(args.now), args.escalation, args.user, args.reason)
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


def _show_effects(console: Console, effects: tuple[Effect, ...]) -> None:
    """Say what was carried out outside Readout and what is only recorded."""
    for effect in effects:
        colour = "green" if not effects_pending([effect]) else "yellow"
        console.print(f"[{colour}]- {effect_sentence(effect)}[/]")
