"""What every workflow use case needs: the store, the calendars and the clock, and the actor checks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from readout.domain.escalation import Escalation
from readout.domain.intervals import Interval
from readout.domain.users import SYSTEM, Permission, User, may
from readout.errors import NotFound, PermissionDenied
from readout.services.plan_json import utc_text
from readout.services.ports import CalendarReader, HoldCalendar, InviteSender, UnitOfWork

__all__ = ["Deps", "actor", "load_escalation", "slot_text"]


@dataclass(frozen=True)
class Deps:
    """Adapters a use case runs with; ``bootstrap`` builds the real ones, tests build fakes."""

    uow: Callable[[], UnitOfWork]
    reader: CalendarReader
    holds: HoldCalendar
    clock: Callable[[], datetime]
    invites: InviteSender | None = None  # None: no relay configured; confirmation records the packet only
    source_timeout: float = 10.0
    view: Callable[[], UnitOfWork] | None = None  # read-only units of work (default: ``uow``)

    def look(self) -> UnitOfWork:
        """A unit of work for reading only (it never waits for, nor blocks, a writer on SQLite)."""
        return (self.view or self.uow)()


def actor(uow: UnitOfWork, user_id: str, permission: Permission | None = None) -> User:
    """The acting user; refuses unknown users and users whose roles do not grant ``permission``.

    The automatic actor (``SYSTEM``) is never looked up by name: no typed user id can act as Readout itself.
    """
    user = uow.users.get(user_id) if user_id != SYSTEM.id else None
    if user is None:
        raise NotFound(f"no user {user_id!r} (import users with `readout users import FILE`)")
    if permission is not None and not may(user, permission):
        roles = ", ".join(sorted(r.value for r in user.roles)) or "no roles"
        raise PermissionDenied(f"{user.name} ({roles}) may not {permission.value.replace('_', ' ')}")
    return user


def load_escalation(uow: UnitOfWork, escalation_id: str) -> Escalation:
    """The escalation, locked for this unit of work; NotFound when there is none."""
    found = uow.escalations.get(escalation_id)
    if found is None:
        raise NotFound(f"no escalation {escalation_id!r} (open it with `readout open CASE`)")
    return found


def slot_text(slot: Interval) -> dict[str, Any]:
    """A slot as audit-log data."""
    return {"start": utc_text(slot.start), "end": utc_text(slot.end)}
