"""What every workflow use case needs: the store, the calendars and the clock, and the actor checks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from readout.domain.audit import ON_BEHALF_OF, wall_clock
from readout.domain.escalation import Escalation
from readout.domain.intervals import Interval, utc_text
from readout.domain.users import SYSTEM, Permission, User, may, refusal
from readout.errors import NotFound, PermissionDenied, Refused
from readout.services.ports import (
    CalendarReader,
    CaseBuilder,
    Channel,
    HoldCalendar,
    InviteSender,
    UnitOfWork,
)

if TYPE_CHECKING:
    from readout.domain.case_document import LoadedCase
    from readout.services.notify import Notifier

__all__ = ["AsOf", "Deps", "actor", "load_escalation", "planning_instant", "slot_text", "stored_case"]


@dataclass(frozen=True)
class Deps:
    """Adapters a use case runs with; ``bootstrap`` builds the real ones, tests build fakes."""

    uow: Callable[[], UnitOfWork]
    reader: CalendarReader
    holds: HoldCalendar
    clock: Callable[[], datetime]
    cases: CaseBuilder
    invites: InviteSender | None = None  # None: no relay configured; confirmation records the packet only
    source_timeout: float = 10.0
    view: Callable[[], UnitOfWork] | None = None  # read-only units of work (default: ``uow``)
    pinned: bool = False  # ``clock`` is a fixed instant given by the user (``--now``), not the wall clock
    # The real clock, for what must never follow an "as of": sign-in, sessions, tokens and their expiry.
    wall: Callable[[], datetime] = field(default=wall_clock)
    channel: Channel | None = None  # the leadership channel (Slack); None: none configured
    notifier: Notifier | None = None  # e-mail to Readout users (SMTP); None: no relay configured

    def look(self) -> UnitOfWork:
        """A unit of work for reading only (it never waits for, nor blocks, a writer on SQLite)."""
        return (self.view or self.uow)()


class AsOf(StrEnum):
    """Where the instant a plan is made "as of" came from (the spec's rule: ``--now``, else the case file's
    ``now:``, else the clock)."""

    OPTION = "--now"
    CASE_FILE = "the case file's now:"
    CLOCK = "the clock"


def planning_instant(deps: Deps, loaded: LoadedCase) -> tuple[datetime, AsOf]:
    """The instant to plan ``loaded`` as of, the same for ``plan CASE``, ``open``, ``update`` and re-plans:
    ``--now`` when given, else the document's own ``now:`` (a rehearsal), else the clock."""
    if deps.pinned:
        return deps.clock(), AsOf.OPTION
    if loaded.now is not None:
        return loaded.now, AsOf.CASE_FILE
    return deps.clock(), AsOf.CLOCK


def actor(uow: UnitOfWork, user_id: str, permission: Permission | None = None) -> User:
    """The acting user; refuses unknown users and users whose roles do not grant ``permission``.

    The automatic actor (``SYSTEM``) is never looked up by name: no typed user id can act as Readout itself.
    Sets ``ON_BEHALF_OF`` for the rest of the caller's context: an agent's principal, or none for a person.
    """
    user = uow.users.get(user_id) if user_id != SYSTEM.id else None
    if user is None:
        raise NotFound(f"no user {user_id!r} (import users with `readout users import FILE`)")
    # Whatever the entry point (CLI --as, API or MCP token, web), what an agent records names the person it
    # acts for: "agent X on behalf of Y" (docs/agents.md). A person acting clears it.
    ON_BEHALF_OF.set(user.on_behalf_of if user.is_agent else None)
    if permission is not None and not may(user, permission):
        raise PermissionDenied(refusal(user, permission))
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


def stored_case(deps: Deps, uow: UnitOfWork, esc: Escalation) -> LoadedCase:
    """The case built from the escalation's stored case document (the version in force), never from a file.

    Refused for an escalation opened from a file before documents were stored whose file could not be
    imported when the store was upgraded: it names the file and how to store a document."""
    stored = uow.cases.latest(esc.id)
    if stored is None:
        where = f" from {esc.legacy_case_path}" if esc.legacy_case_path else ""
        raise Refused(
            f"escalation {esc.id} was opened{where} before case documents were stored, and that file could "
            f"not be imported when the store was upgraded; store its case with `readout update {esc.id} CASE`"
        )
    return deps.cases.build(stored.document)
