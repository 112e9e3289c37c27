"""What a refused command may leave behind: one ``refused`` audit entry naming who tried what, and why;
nothing else (state, review, holds, requests, waivers, calendar) changes."""

from __future__ import annotations

from readout.domain.audit import AuditEntry
from tests.services.flows import Desk, Snapshot


def only_the_refusal_recorded(
    desk: Desk, escalation_id: str, before: Snapshot, command: str, actor: str, *more: tuple[str, str]
) -> AuditEntry:
    """Assert that the escalation is as in ``before`` but for a new ``refused`` entry per attempt (command,
    actor), in order; return the first."""
    after = desk.snapshot(escalation_id)
    assert after.audit[: len(before.audit)] == before.audit
    new = after.audit[len(before.audit) :]
    attempts = [("refused", a, c) for c, a in ((command, actor), *more)]
    assert [(e.kind, e.actor, e.payload["command"]) for e in new] == attempts
    state, _, _, _, review_slot, packet_digest, confirmed_by = before.escalation
    assert (after.escalation[0], *after.escalation[4:]) == (state, review_slot, packet_digest, confirmed_by)
    assert (after.holds, after.requests, after.waivers, after.calendar) == (
        before.holds,
        before.requests,
        before.waivers,
        before.calendar,
    )
    return new[0]
