"""Read-only use cases: status of an escalation, the list, the audit trail and its verification, users."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from readout.domain.audit import AuditEntry, verify_chain
from readout.domain.escalation import Escalation
from readout.domain.exception_requests import ExceptionRequest, Waiver
from readout.domain.holds import Hold
from readout.domain.users import User
from readout.errors import NotFound
from readout.services.context import Deps, load_escalation

__all__ = ["Status", "audit_trail", "escalation_status", "import_users", "list_escalations", "verify_audit"]


@dataclass(frozen=True)
class Status:
    """Everything a reviewer needs about one escalation."""

    escalation: Escalation
    plan: dict[str, Any] | None
    holds: tuple[Hold, ...]
    requests: tuple[ExceptionRequest, ...]
    waivers: tuple[Waiver, ...]


def escalation_status(deps: Deps, escalation_id: str) -> Status:
    """The escalation with its latest plan, holds, exception requests and waivers."""
    with deps.uow() as uow:
        esc = load_escalation(uow, escalation_id)
        return Status(
            esc,
            uow.plans.latest(esc.id),
            tuple(uow.holds.of(esc.id)),
            tuple(uow.exceptions.of(esc.id)),
            tuple(uow.waivers.of(esc.id)),
        )


def list_escalations(deps: Deps) -> list[Escalation]:
    """Every stored escalation, oldest first."""
    with deps.uow() as uow:
        return uow.escalations.list()


def audit_trail(deps: Deps, escalation_id: str) -> list[AuditEntry]:
    """The escalation's audit entries in order."""
    with deps.uow() as uow:
        load_escalation(uow, escalation_id)
        return uow.audit.entries(escalation_id)


def verify_audit(deps: Deps, escalation_id: str | None = None) -> dict[str, list[str]]:
    """Problems per escalation (all of them, or one); an intact chain has an empty list."""
    with deps.uow() as uow:
        if escalation_id is not None:
            chosen = [load_escalation(uow, escalation_id)]
        else:
            chosen = uow.escalations.list()
        return {e.id: verify_chain(uow.audit.entries(e.id), e.audit_seq, e.audit_head) for e in chosen}


def import_users(deps: Deps, users: Iterable[User]) -> int:
    """Create or replace users (e.g. from the demo's users file)."""
    count = 0
    with deps.uow() as uow:
        for user in users:
            uow.users.put(user)
            count += 1
        uow.commit()
    if not count:
        raise NotFound("no users in the file")
    return count
