"""The CLI verbs that only read the store: ``status ESC``, ``list`` and ``audit show|verify|export``. They
load no case-file or calendar parser (a test guards what they import).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import TYPE_CHECKING

from readout import bootstrap
from readout.adapters.plan_json import plan_to_json
from readout.entrypoints.cli_output import emit
from readout.errors import Refused
from readout.services import queries
from readout.services.users import verify_users_chain
from readout.services.views import (
    audit_view,
    effect_view,
    escalation_view,
    hold_view,
    request_view,
    waiver_view,
)

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["run_audit", "run_list", "run_status"]


def run_status(args: argparse.Namespace) -> int:
    """``readout status ESC``: the escalation, its holds, exception requests, waivers, effects and plan."""
    status = queries.escalation_status(bootstrap.workflow_deps(args.now), args.escalation)
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

    def show(console: Console) -> None:
        from readout.entrypoints.workflow_report import render_status  # rich, loaded when shown

        render_status(console, status)

    emit(args, data, show)
    return 0


def run_list(args: argparse.Namespace) -> int:
    """``readout list``: every escalation with its state and deadline."""
    listing = queries.escalation_listing(bootstrap.workflow_deps(args.now))
    views = [
        {**escalation_view(x.escalation), "contract_zone": x.zones.contract if x.zones else None}
        for x in listing
    ]

    def show(console: Console) -> None:
        if not listing:
            console.print("No escalations yet: `readout open CASE --as USER`.")
            return
        from readout.entrypoints.workflow_report import render_list  # rich, loaded when shown

        render_list(console, listing)

    emit(args, views, show)
    return 0


def run_audit(args: argparse.Namespace) -> int:
    """``readout audit show|export ESC``: the audit trail; ``audit verify [ESC]``: check the hash chains
    (with the users chain when no escalation is named); exits 1 when one is broken."""
    deps = bootstrap.workflow_deps(args.now)
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

        def show(console: Console) -> None:
            from readout.entrypoints.workflow_report import render_audit  # rich, loaded when shown

            render_audit(console, entries, zones)

        emit(args, [audit_view(e) for e in entries], show)
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
