"""Importing users: what an import changes, the rules it keeps, and the users chain that records it.

An import adds or replaces the users it names; users it does not name are kept as they are. No two user ids
may share a display name (ignoring case, width and spacing), so nobody can pass for the duty manager by taking
the duty manager's name; and an import may not leave Readout without an administrator. Every import is one
entry of the users chain, a hash chain of its own (``USERS_CHAIN``) whose head the store keeps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from readout.domain.audit import GENESIS, AuditEntry, verify_chain
from readout.domain.users import SYSTEM, Role, User, same_name
from readout.errors import Refused

__all__ = [
    "USERS_CHAIN",
    "USERS_IMPORTED",
    "Change",
    "UserChange",
    "import_changes",
    "import_payload",
    "user_view",
    "verify_users",
]

USERS_CHAIN = "users"  # the chain id of the users audit trail (its entries' ``escalation_id``)
USERS_IMPORTED = "users_imported"  # the kind of every entry of the users chain


class Change(Enum):
    """What an import did to one user it named."""

    ADDED = "added"
    CHANGED = "changed"  # roles, display name or e-mail replaced
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class UserChange:
    """One named user: as the import leaves them, and as they were before (None when added)."""

    change: Change
    new: User
    old: User | None = None


def import_changes(current: Sequence[User], incoming: Sequence[User]) -> tuple[UserChange, ...]:
    """What importing ``incoming`` over ``current`` does to each user it names; Refused on a broken rule."""
    _refuse_repeated_or_reserved_ids(incoming)
    before = {u.id: u for u in current}
    after = before | {u.id: u for u in incoming}
    for user in incoming:
        _refuse_unclear_name(user, after)
        _refuse_shared_slack_user(user, after)
    _refuse_no_administrator(before, after)
    return tuple(_change(before.get(u.id), u) for u in incoming)


def _change(old: User | None, new: User) -> UserChange:
    if old is None:
        return UserChange(Change.ADDED, new)
    return UserChange(Change.UNCHANGED if old == new else Change.CHANGED, new, old)


def _refuse_repeated_or_reserved_ids(incoming: Sequence[User]) -> None:
    seen: set[str] = set()
    for user in incoming:
        if not user.id.strip():
            raise Refused("every user needs an id")
        if user.id == SYSTEM.id:
            raise Refused(f"the user id {SYSTEM.id!r} is Readout's own (the automatic actor)")
        if user.id in seen:
            raise Refused(f"user {user.id!r} is listed twice")
        seen.add(user.id)


def _refuse_unclear_name(user: User, after: Mapping[str, User]) -> None:
    """A display name must tell people apart: it is what approvers, confirmers and the audit trail show."""
    if not user.name.strip():
        raise Refused(f"user {user.id!r} needs a display name")
    if same_name(user.name, SYSTEM.name):
        raise Refused(f"user {user.id!r} may not be called {SYSTEM.name!r} (Readout's own name)")
    clash = next((o.id for o in after.values() if o.id != user.id and same_name(o.name, user.name)), None)
    if clash is not None:
        raise Refused(
            f"user {user.id!r} may not be called {user.name!r}: user {clash!r} already is "
            "(display names must tell people apart)"
        )


def _refuse_shared_slack_user(user: User, after: Mapping[str, User]) -> None:
    """A Slack user acts as one Readout user: a click must name who decided."""
    if user.slack is None:
        return
    clash = next((o.id for o in after.values() if o.id != user.id and o.slack == user.slack), None)
    if clash is not None:
        raise Refused(
            f"user {user.id!r} may not be linked to the Slack user {user.slack}: user {clash!r} already is "
            "(a Slack user acts as one Readout user)"
        )


def _refuse_no_administrator(before: Mapping[str, User], after: Mapping[str, User]) -> None:
    if any(Role.ADMINISTRATOR in u.roles for u in after.values()):
        return
    if any(Role.ADMINISTRATOR in u.roles for u in before.values()):
        raise Refused("the import would remove the last administrator: name another one first")
    raise Refused(
        f"the first import must name at least one administrator (a user with the role "
        f"{Role.ADMINISTRATOR.value}), who then imports and changes users"
    )


def user_view(user: User) -> dict[str, Any]:
    """A user as audit data (and as compared when the users chain is verified); the linked Slack user only
    when there is one, and the kind only for agents, so that entries written before these existed still
    verify."""
    view: dict[str, Any] = {
        "name": user.name,
        "email": user.email,
        "roles": sorted(r.value for r in user.roles),
    }
    if user.slack is not None:
        view["slack"] = user.slack
    if user.is_agent:  # an agent and the person it acts for (docs/agents.md); people keep their old view
        view["kind"] = "agent"
        view["on_behalf_of"] = user.on_behalf_of
    return view


def import_payload(changes: Sequence[UserChange], bootstrap: bool) -> dict[str, Any]:
    """The users chain entry of one import: per named user what changed, with the old values if replaced."""
    users: list[dict[str, Any]] = []
    for c in changes:
        item = {"id": c.new.id, "change": c.change.value, "new": user_view(c.new)}
        if c.change is Change.CHANGED and c.old is not None:
            item["old"] = user_view(c.old)
        users.append(item)
    return {"bootstrap": bootstrap, "users": users}


def verify_users(
    entries: Sequence[AuditEntry], head_seq: int, head_hash: str, stored: Sequence[User]
) -> list[str]:
    """Problems with the users chain, and stored users that differ from what its imports recorded."""
    last = entries[-1].hash if entries else GENESIS
    problems = verify_chain(entries, len(entries), last)  # the links; the head is checked below
    if len(entries) != head_seq or last != (head_hash if head_seq else GENESIS):
        problems.append(f"chain ends at entry {len(entries)} but its head records {head_seq} (entries lost)")
    audited = _audited_users(entries)
    for user in stored:
        if audited.get(user.id) != user_view(user):
            problems.append(f"user {user.id!r} is not as the imports left them (changed outside Readout)")
    for gone in sorted(audited.keys() - {u.id for u in stored}):
        problems.append(f"user {gone!r} was imported but is no longer stored (removed outside Readout)")
    return problems


def _audited_users(entries: Sequence[AuditEntry]) -> dict[str, Any]:
    """Each user as the last import naming them left them (tampered payloads are reported, not trusted)."""
    users: dict[str, Any] = {}
    for entry in entries:
        named = entry.payload.get("users")
        for item in named if isinstance(named, list) else []:
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                users[item["id"]] = item.get("new")
    return users
