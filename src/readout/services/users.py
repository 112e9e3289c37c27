"""Use cases on the people who act in Readout: import users (an administrator's job, audited), read and verify
the users chain.

Bootstrap: while the store has no administrator (a new store, or one from before administrators existed), an
import may be made without an acting user, and it must name at least one administrator; from then on only an
administrator imports or changes users, and no import may remove the last one.

Agents (``kind: agent``, docs/agents.md) act on behalf of a person holding a coordinator role: an import that
would leave an agent without such a principal (naming an unknown user, another agent, or a person without a
coordinator role, or taking that role away from an agent's principal) is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from readout.domain.audit import AuditEntry, chain, stamp
from readout.domain.roster import (
    USERS_CHAIN,
    USERS_IMPORTED,
    UserChange,
    import_changes,
    import_payload,
    verify_users,
)
from readout.domain.users import SYSTEM, Permission, Role, User, agent_problems
from readout.errors import NotFound, PermissionDenied, Refused
from readout.services.context import Deps, actor
from readout.services.ports import UnitOfWork

__all__ = ["UsersImport", "import_users", "users_audit_trail", "verify_users_chain"]


@dataclass(frozen=True)
class UsersImport:
    """What an import did: per named user, and the users chain entry that records it."""

    changes: tuple[UserChange, ...]
    entry: AuditEntry
    bootstrap: bool


def import_users(deps: Deps, users: Sequence[User], admin_id: str | None) -> UsersImport:
    """Add or replace the users named (others are kept), acting as the administrator ``admin_id``.

    Without an administrator in the store this is the bootstrap import: ``admin_id`` may be omitted (Readout
    is recorded as the actor) or must name an administrator of the file.
    """
    if not users:
        raise NotFound("no users in the file")
    now = deps.clock()
    with deps.uow() as uow:
        head = uow.user_audit.head()  # first: concurrent imports take turns from here
        if head is None:
            raise Refused("the users chain has lost its head: see `readout audit verify`; nothing imported")
        current = uow.users.list()
        bootstrap = not any(Role.ADMINISTRATOR in u.roles for u in current)
        by = _bootstrapper(users, admin_id) if bootstrap else _administrator(uow, admin_id)
        changes = import_changes(current, users)
        problems = agent_problems({u.id: u for u in current} | {u.id: u for u in users})
        if problems:
            raise Refused(f"{problems[0]}; nothing imported")
        for change in changes:
            uow.users.put(change.new)
        at, payload = stamp(now, import_payload(changes, bootstrap))
        entry = chain(*head, USERS_CHAIN, at, by, USERS_IMPORTED, payload)
        uow.user_audit.append(entry)
        uow.commit()
    return UsersImport(changes, entry, bootstrap)


def _administrator(uow: UnitOfWork, admin_id: str | None) -> str:
    if admin_id is None:
        raise PermissionDenied("importing or changing users needs an administrator: add --as ADMIN")
    return actor(uow, admin_id, Permission.MANAGE_USERS).id


def _bootstrapper(users: Sequence[User], admin_id: str | None) -> str:
    if admin_id is None:
        return SYSTEM.id
    named = next((u for u in users if u.id == admin_id), None)
    if named is None or Role.ADMINISTRATOR not in named.roles:
        raise PermissionDenied(
            f"{admin_id!r} is not an administrator named by the file: the first import is made without --as "
            "or by one of the administrators it names"
        )
    return named.id


def users_audit_trail(deps: Deps) -> list[AuditEntry]:
    """The users chain, oldest first: who imported which users when, and what changed."""
    with deps.look() as uow:
        return uow.user_audit.entries()


def verify_users_chain(deps: Deps) -> list[str] | None:
    """Problems with the users chain and the stored users; None when there is nothing to verify (no users and
    no chain, as in a new store)."""
    with deps.look() as uow:
        head = uow.user_audit.head()  # first: locked, so no import commits between this and what follows
        entries, stored = uow.user_audit.entries(), uow.users.list()
    if head is None:
        return ["the chain's head is missing (removed outside Readout)"]
    if not entries and not head[0] and not stored:
        return None
    return verify_users(entries, *head, stored)
