"""The CLI verbs that only read the store: ``status ESC``, ``list`` and ``audit show|verify|explain|export``
(and ``audit anchor``, which appends the heads to the operator's file). They load no case-file or calendar
parser (a test guards what they import).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from readout import bootstrap
from readout.adapters.plan_json import plan_to_json
from readout.entrypoints.cli_output import emit
from readout.errors import ReadoutError, Refused
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

    from readout.domain.audit import AuditEntry
    from readout.services.context import Deps

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
    """``readout audit show|explain|export ESC``: the audit trail; ``audit verify [ESC] [--anchor FILE]``:
    check the hash chains (with the users chain when no escalation is named), the log against the stored
    state, and the anchored heads; exits 1 on any finding. ``audit anchor --anchor FILE``: append the
    heads."""
    deps = bootstrap.workflow_deps(args.now)
    if args.action == "verify":
        return _verify(args, deps)
    if args.action == "anchor":
        return _anchor(args, deps)
    if not args.escalation:
        raise Refused(f"audit {args.action} needs an escalation id")
    if args.action == "explain":
        return _explain(args, deps)
    entries = queries.audit_trail(deps, args.escalation)
    if args.action == "show":
        zones = queries.case_zones(deps, args.escalation)

        def show(console: Console) -> None:
            from readout.entrypoints.workflow_report import render_audit  # rich, loaded when shown

            render_audit(console, entries, zones)

        emit(args, [audit_view(e) for e in entries], show)
        return 0
    _write(args.output, _export(args, deps, entries))
    return 0


def _verify(args: argparse.Namespace, deps: Deps) -> int:
    from readout.services import anchoring

    anchors = anchoring.read_anchors(args.anchor) if args.anchor else []
    problems = queries.verify_audit(deps, args.escalation, [k for a in anchors for k in a.escalations])
    if args.escalation is None:
        users = verify_users_chain(deps)  # None: no users and no chain yet
        if users is not None:  # an escalation called "users" has its problems reported with the chain's
            problems["users"] = problems.get("users", []) + users
    if anchors:
        for key, found in anchoring.verify_anchors(deps, anchors).items():
            if args.escalation is None or key == args.escalation:
                problems[key] = problems.get(key, []) + found

    def show(console: Console) -> None:
        for esc_id, found in problems.items():
            console.print(f"{esc_id}: " + ("[green]intact[/]" if not found else "[red]TAMPERED[/]"))
            for line in found:
                console.print(f"  - {line}", markup=False)
        if args.anchor:
            console.print(f"checked against {len(anchors)} anchor(s) in {args.anchor}", markup=False)

    emit(args, problems, show)
    return 1 if any(problems.values()) else 0


def _anchor(args: argparse.Namespace, deps: Deps) -> int:
    from readout.services import anchoring

    if args.anchor is None:
        raise ReadoutError("audit anchor needs --anchor FILE: the file the operator keeps the heads in")
    if args.anchor.is_dir() or not args.anchor.parent.is_dir():
        raise ReadoutError(f"--anchor {args.anchor}: expected a file in an existing folder")
    found = anchoring.anchor_heads(deps)
    anchoring.append_anchor(args.anchor, found)
    data = {**found.as_json(), "file": str(args.anchor), "posted": deps.channel is not None}

    def show(console: Console) -> None:
        console.print(
            f"Anchored the heads of {len(found.escalations)} escalation chain(s)"
            + (" and the users chain" if found.users else "")
            + f" in {args.anchor} (appended, fsync'd)."
            + (
                " The same heads are queued for the leadership channel."
                if deps.channel is not None
                else " No leadership channel is configured: nothing posted."
            )
            + " Keep the file away from the database (docs/audit.md).",
            markup=False,
        )

    emit(args, data, show)
    return 0


def _explain(args: argparse.Namespace, deps: Deps) -> int:
    from readout.presentation.audit import explanation_data, explanation_lines

    if args.slot is None:
        raise ReadoutError("audit explain needs --slot START (an ISO 8601 time with an offset)")
    found = queries.explain_slot(deps, args.escalation, args.slot)
    zones = queries.case_zones(deps, args.escalation)
    zone = zones.contract if zones else "UTC"

    def show(console: Console) -> None:
        for line in explanation_lines(found, zone):
            console.print(line, markup=False, highlight=False)

    emit(args, {"escalation": args.escalation, **explanation_data(found)}, show)
    return 0


def _export(args: argparse.Namespace, deps: Deps, entries: list[AuditEntry]) -> str:
    if args.format == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
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
        return out.getvalue()
    if args.format == "json":
        return json.dumps([audit_view(e) for e in entries], indent=2) + "\n"
    from readout.services import anchoring

    lines = anchoring.export_lines(deps, args.escalation, deps.clock())
    if args.format == "jsonl":
        return "".join(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n" for line in lines)
    from readout.presentation.audit import html_report

    zones = queries.case_zones(deps, args.escalation)
    last = lines[-1]
    head = (int(last["head"]["seq"]), str(last["head"]["hash"]))
    return html_report(
        args.escalation,
        entries,
        zones.contract if zones else "UTC",
        last["verified"]["problems"],
        head,
        deps.clock(),
    )


def _write(path: Path | None, text: str) -> None:
    """``text`` to stdout, or to ``path`` atomically: a temporary file in the same folder, fsync'd,
    renamed."""
    if path is None:
        sys.stdout.write(text)
        return
    if path.is_dir() or not path.parent.is_dir():
        raise ReadoutError(f"--output {path}: expected a file in an existing folder")
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
