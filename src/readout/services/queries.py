"""Read-only use cases: status of an escalation, the list, the audit trail and its verification.

Importing users and the users chain are in ``services.users``."""

from __future__ import annotations

from dataclasses import dataclass

from readout.domain.audit import AuditEntry, verify_chain
from readout.domain.effects import Effect, EffectStatus
from readout.domain.escalation import Escalation
from readout.domain.exception_requests import ExceptionRequest, Waiver
from readout.domain.holds import Hold
from readout.domain.plan import Plan
from readout.services.context import Deps, load_escalation

__all__ = ["Status", "audit_trail", "escalation_status", "list_escalations", "verify_audit"]


_SETTLED = (EffectStatus.DONE, EffectStatus.DROPPED)


@dataclass(frozen=True)
class Status:
    """Everything a reviewer needs about one escalation."""

    escalation: Escalation
    plan: Plan | None
    holds: tuple[Hold, ...]
    requests: tuple[ExceptionRequest, ...]
    waivers: tuple[Waiver, ...]
    effects: tuple[Effect, ...] = ()  # calendar writes and invitations not done: pending, failed, uncertain


def escalation_status(deps: Deps, escalation_id: str) -> Status:
    """The escalation with its latest plan, holds, exception requests and waivers."""
    with deps.look() as uow:
        esc = load_escalation(uow, escalation_id)
        return Status(
            esc,
            uow.plans.latest(esc.id),
            tuple(uow.holds.of(esc.id)),
            tuple(uow.exceptions.of(esc.id)),
            tuple(uow.waivers.of(esc.id)),
            tuple(e for e in uow.effects.of(esc.id) if e.status not in _SETTLED),
        )


def list_escalations(deps: Deps) -> list[Escalation]:
    """Every stored escalation, oldest first."""
    with deps.look() as uow:
        return uow.escalations.list()


def audit_trail(deps: Deps, escalation_id: str) -> list[AuditEntry]:
    """The escalation's audit entries in order."""
    with deps.look() as uow:
        load_escalation(uow, escalation_id)
        return uow.audit.entries(escalation_id)


def verify_audit(deps: Deps, escalation_id: str | None = None) -> dict[str, list[str]]:
    """Problems per escalation (all of them, or one); an intact chain has an empty list."""
    with deps.look() as uow:
        if escalation_id is not None:
            chosen = [load_escalation(uow, escalation_id)]
        else:
            chosen = uow.escalations.list()
        return {e.id: verify_chain(uow.audit.entries(e.id), e.audit_seq, e.audit_head) for e in chosen}
