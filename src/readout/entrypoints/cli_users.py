"""The ``users`` and ``tokens`` verbs of the CLI: import users (an administrator's job), list them, the users
audit trail; link a user to a Slack user and unlink them; set a password (read from standard input, never
from argv), end a user's sessions; create, list and revoke API tokens (the secret is printed once).

User and credential changes are recorded at the real time: these verbs take no ``--now``.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from readout import bootstrap
from readout.domain.audit import AuditEntry
from readout.domain.intervals import utc_text
from readout.entrypoints.cli_output import emit
from readout.errors import Refused
from readout.services.users import import_users, users_audit_trail

if TYPE_CHECKING:
    from datetime import datetime

    from rich.console import Console

    from readout.domain.auth import ApiToken

__all__ = ["run_tokens", "run_users"]


def run_users(args: argparse.Namespace) -> int:
    """``readout users import FILE [--as ADMIN]``, ``readout users list``, ``readout users audit``,
    ``readout users link USER --slack MEMBER_ID --as ADMIN``, ``readout users unlink USER --as ADMIN``."""
    if args.action in ("link", "unlink"):
        return _link(args)
    if getattr(args, "slack", None) is not None:
        raise Refused(f"users {args.action} takes no --slack (only link does)")
    if args.action == "import":
        return _import(args)
    if args.action in ("set-password", "revoke-sessions"):
        return _credentials(args)
    if args.user is not None:
        raise Refused(
            f"users {args.action} takes no --as (import, set-password, revoke-sessions, link, unlink do)"
        )
    if args.file is not None:
        raise Refused(f"users {args.action} takes no FILE or USER")
    if args.action == "audit":
        return _audit(args)
    with bootstrap.workflow_deps().look() as uow:
        users = uow.users.list()
    data: list[dict[str, Any]] = [
        {
            "id": u.id,
            "name": u.name,
            "email": u.email,
            "roles": sorted(r.value for r in u.roles),
            "kind": u.kind.value,
            "on_behalf_of": u.on_behalf_of,
            "slack": u.slack,
        }
        for u in users
    ]

    def show(console: Console) -> None:
        for u in data:
            what = (
                f"agent on behalf of {u['on_behalf_of']}" if u["kind"] == "agent" else ", ".join(u["roles"])
            )
            slack = f"  (Slack {u['slack']})" if u["slack"] else ""
            console.print(f"{u['id']:<10} {u['name']:<20} {what}{slack}", markup=False)

    emit(args, data, show)
    return 0


def _import(args: argparse.Namespace) -> int:
    if args.file is None:
        raise Refused("users import needs a FILE")
    from readout.adapters.casefile.users import load_users

    done = import_users(bootstrap.workflow_deps(), load_users(Path(args.file)), args.user)
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


def _link(args: argparse.Namespace) -> int:
    from readout.services.user_links import link_slack, unlink_slack

    if args.file is None:
        raise Refused(f"users {args.action} needs a USER")
    if args.user is None:
        raise Refused(f"users {args.action} needs --as ADMIN (an administrator)")
    if args.action == "link":
        if not args.slack:
            raise Refused("users link needs --slack MEMBER_ID (the Slack member id, e.g. U012ABCDEF)")
        done = link_slack(bootstrap.workflow_deps(), args.file, args.slack, args.user)
    else:
        if args.slack is not None:
            raise Refused("users unlink takes no --slack (it takes away whatever link the user has)")
        done = unlink_slack(bootstrap.workflow_deps(), args.file, args.user)
    user, entry = done.user, done.entry
    data = {
        "user": user.id,
        "slack": user.slack,
        "was": done.before,
        "changed": entry is not None,
        "entry": _entry_view(entry) if entry is not None else None,
    }
    if entry is None and user.slack is not None:
        text = f"{user.id} ({user.name}) is already linked to the Slack user {user.slack}; nothing changed."
    elif entry is None:
        text = f"{user.id} ({user.name}) is not linked to a Slack user; nothing changed."
    elif user.slack is not None:
        was = f" (was {done.before})" if done.before else ""
        text = (
            f"{user.id} ({user.name}) is linked to the Slack user {user.slack}{was}: their clicks in the "
            f"leadership channel act as {user.id}; users audit entry #{entry.seq}."
        )
    else:
        text = (
            f"{user.id} ({user.name}) is no longer linked to the Slack user {done.before}: their clicks are "
            f"refused; users audit entry #{entry.seq}."
        )
    emit(args, data, lambda console: console.print(text, markup=False))
    return 0


def _audit(args: argparse.Namespace) -> int:
    entries = users_audit_trail(bootstrap.workflow_deps())

    def show(console: Console) -> None:
        for e in entries:
            bootstrapped = " (bootstrap)" if e.payload.get("bootstrap") else ""
            console.print(f"#{e.seq} {utc_text(e.at)} {e.kind} by {e.actor}{bootstrapped}", markup=False)
            for item in e.payload.get("users", []):
                console.print(f"  {_change_text(item)}", markup=False)
            if e.kind in _CREDENTIAL_KINDS:
                console.print(f"  {_credential_text(e.payload)}", markup=False)
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
        if old.get("slack") != new.get("slack"):
            was.append(
                f"Slack user {new['slack']}, was {old.get('slack') or 'none'}"
                if new.get("slack")
                else f"Slack user {old['slack']} unlinked"
            )
        line += f" ({'; '.join(was)})"
    return line


_CREDENTIAL_KINDS = frozenset({"password_set", "token_created", "token_revoked", "sessions_revoked"})


def _credential_text(payload: dict[str, Any]) -> str:
    """One credential change of the users trail, as a line (never a secret: none is recorded)."""
    user = payload.get("user", "?")
    if "token" in payload:
        scopes = ", ".join(payload.get("scopes", []))
        until = f"; scopes {scopes}; expires {payload['expires_at']}" if "expires_at" in payload else ""
        return f"{user}: API token {payload['token']} ({payload.get('name', '')}){until}"
    ended = payload.get("sessions_revoked", payload.get("sessions", 0))
    return f"{user}: {ended} session(s) ended"


def _read_password(user_id: str) -> str:
    """The new password from standard input: asked twice without echo on a terminal, else the first line."""
    try:
        return _password_line(user_id)
    except UnicodeDecodeError:
        raise Refused("the password read from standard input is not valid text; nothing changed") from None


def _password_line(user_id: str) -> str:
    if sys.stdin.isatty():
        first = getpass.getpass(f"New password for {user_id}: ")
        if getpass.getpass("Again: ") != first:
            raise Refused("the two passwords differ; nothing changed")
        return first
    line = sys.stdin.readline()
    return line[:-1] if line.endswith("\n") else line


def _credentials(args: argparse.Namespace) -> int:
    from readout.services.auth import revoke_sessions, set_password

    if args.file is None:
        raise Refused(f"users {args.action} needs a USER")
    if args.user is None:
        raise Refused(f"users {args.action} needs --as (an administrator, or the user themself)")
    deps = bootstrap.workflow_deps()
    if args.action == "set-password":
        entry = set_password(deps, args.file, _read_password(args.file).removesuffix("\r"), args.user)
        data = {"user": args.file, "sessions_revoked": entry.payload["sessions_revoked"], "entry": entry.seq}
        text = (
            f"Password set for {args.file}; {data['sessions_revoked']} session(s) ended; "
            f"users audit entry #{entry.seq}."
        )
    else:
        ended = revoke_sessions(deps, args.file, args.user)
        data = {"user": args.file, "sessions_revoked": ended}
        text = f"{ended} session(s) of {args.file} ended."

    def show(console: Console) -> None:
        console.print(text, markup=False)

    emit(args, data, show)
    return 0


def run_tokens(args: argparse.Namespace) -> int:
    """``readout tokens create USER --name N [--scope S ...] [--expires DAYS] --as ADMIN``, ``readout tokens
    list [USER]``, ``readout tokens revoke ID --as ADMIN``."""
    from readout.services import auth

    deps = bootstrap.workflow_deps()
    if args.action != "create" and (args.name or args.scopes or args.expires):
        raise Refused(f"tokens {args.action} takes no --name, --scope or --expires (only create does)")
    if args.action == "list":
        if args.user is not None:
            raise Refused("tokens list takes no --as")
        now = deps.clock()
        listed = [_token_view(t, now) for t in auth.list_tokens(deps, args.subject)]

        def show_list(console: Console) -> None:
            for t in listed:
                console.print(
                    f"{t['id']}  {t['user']:<10} {t['state']:<8} {','.join(t['scopes']):<15} "
                    f"expires {t['expires_at']}  last used {t['last_used_at'] or 'never'}  {t['name']}",
                    markup=False,
                )
            if not listed:
                console.print("No API tokens: `readout tokens create USER --name N --as ADMIN`.")

        emit(args, listed, show_list)
        return 0
    if args.subject is None:
        raise Refused(f"tokens {args.action} needs {'a USER' if args.action == 'create' else 'the token ID'}")
    if args.user is None:
        raise Refused(f"tokens {args.action} needs --as (an administrator, or the token's own user)")
    if args.action == "revoke":
        revoked = auth.revoke_token(deps, args.subject, args.user)
        view = _token_view(revoked, deps.clock())
        emit(args, view, lambda console: console.print(f"API token {revoked.id} revoked.", markup=False))
        return 0
    if not args.name:
        raise Refused("tokens create needs --name (what the token is for)")
    days = args.expires or auth.DEFAULT_TOKEN_DAYS
    made = auth.create_token(
        deps, args.subject, args.name, frozenset(args.scopes or ["read"]), days, args.user
    )
    created = {**_token_view(made.token, deps.clock()), "token": made.text}

    def show_created(console: Console) -> None:
        t = made.token
        console.print(
            f"API token {t.id} for {t.user_id} ({t.name}); scopes {', '.join(sorted(t.scopes))}; "
            f"expires {utc_text(t.expires_at)}.",
            markup=False,
        )
        console.print("Copy it now: it is shown only this once (Readout keeps only its SHA-256).")
        console.print(made.text, markup=False, soft_wrap=True)

    emit(args, created, show_created)
    return 0


def _token_view(token: ApiToken, now: datetime) -> dict[str, Any]:
    return {
        "id": token.id,
        "user": token.user_id,
        "name": token.name,
        "scopes": sorted(token.scopes),
        "state": token.state(now),
        "created_at": utc_text(token.created_at),
        "created_by": token.created_by,
        "expires_at": utc_text(token.expires_at),
        "last_used_at": utc_text(token.last_used_at) if token.last_used_at else None,
        "revoked_at": utc_text(token.revoked_at) if token.revoked_at else None,
        "revoked_by": token.revoked_by,
    }
