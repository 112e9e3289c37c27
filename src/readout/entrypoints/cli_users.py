"""The ``users`` verb of the CLI: import (an administrator's job), list, and the users audit trail.

User changes are recorded at the real time: this verb takes no ``--now``.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from readout import bootstrap
from readout.domain.audit import AuditEntry
from readout.domain.intervals import utc_text
from readout.entrypoints.cli_output import emit
from readout.errors import Refused
from readout.services.users import import_users, users_audit_trail

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["run_users"]


def run_users(args: argparse.Namespace) -> int:
    """``readout users import FILE [--as ADMIN]``, ``readout users list``, ``readout users audit``."""
    if args.action == "import":
        return _import(args)
    if args.user is not None:
        raise Refused(f"users {args.action} takes no --as (only import does)")
    if args.action == "audit":
        return _audit(args)
    with bootstrap.workflow_deps().look() as uow:
        users = uow.users.list()
    data = [
        {"id": u.id, "name": u.name, "email": u.email, "roles": sorted(r.value for r in u.roles)}
        for u in users
    ]

    def show(console: Console) -> None:
        for u in data:
            console.print(f"{u['id']:<10} {u['name']:<20} {', '.join(u['roles'])}", markup=False)

    emit(args, data, show)
    return 0


def _import(args: argparse.Namespace) -> int:
    if args.file is None:
        raise Refused("users import needs a FILE")
    from readout.adapters.casefile.users import load_users

    done = import_users(bootstrap.workflow_deps(), load_users(args.file), args.user)
    items = done.entry.payload["users"]
    counts = {k: sum(1 for i in items if i["change"] == k) for k in ("added", "changed", "unchanged")}
    data = {"imported": len(items), **counts, "entry": _entry_view(done.entry)}

    def show(console: Console) -> None:
        how = ", ".join(f"{n} {kind}" for kind, n in counts.items())
        console.print(f"{len(items)} user(s) imported ({how}); users audit entry #{done.entry.seq}.")
        if done.bootstrap:
            console.print("This was the bootstrap import: from now on only an administrator changes users.")
        for item in items:
            if item["change"] == "changed":
                console.print(f"  {_change_text(item)}", markup=False)

    emit(args, data, show)
    return 0


def _audit(args: argparse.Namespace) -> int:
    entries = users_audit_trail(bootstrap.workflow_deps())

    def show(console: Console) -> None:
        for e in entries:
            bootstrapped = " (bootstrap)" if e.payload.get("bootstrap") else ""
            console.print(f"#{e.seq} {utc_text(e.at)} {e.kind} by {e.actor}{bootstrapped}", markup=False)
            for item in e.payload.get("users", []):
                console.print(f"  {_change_text(item)}", markup=False)
        if not entries:
            console.print("No users imported yet: `readout users import FILE`.")

    emit(args, [_entry_view(e) for e in entries], show)
    return 0


def _entry_view(entry: AuditEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "at": utc_text(entry.at),
        "actor": entry.actor,
        "kind": entry.kind,
        "payload": entry.payload,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def _change_text(item: dict[str, Any]) -> str:
    """One named user of an import, as a line: what changed from what to what."""
    new, old = item.get("new") or {}, item.get("old")
    roles = ", ".join(new.get("roles", []))
    line = f"{item.get('change', '?'):<9} {item.get('id')}: {new.get('name')}, {roles or 'no roles'}"
    if old:
        was = [
            f"{field} was {', '.join(old[field]) if field == 'roles' else old[field]}"
            for field in ("name", "email", "roles")
            if old.get(field) != new.get(field)
        ]
        line += f" ({'; '.join(was)})"
    return line
