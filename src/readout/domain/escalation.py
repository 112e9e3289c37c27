"""The escalation aggregate: its lifecycle state and the audit entries each change appends."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from readout.domain.audit import GENESIS, AuditEntry, chain, stamp
from readout.domain.intervals import Interval
from readout.domain.lifecycle import Action, State, next_state

__all__ = ["Escalation"]


@dataclass
class Escalation:
    """One readout to schedule. Changes go through ``transition`` and ``record`` so that each is audited."""

    id: str
    case_digest: str  # of the stored case document in force (``case_version``)
    customer_id: str
    opened_at: datetime
    case_version: int = 1  # 0: opened from a file before documents were stored, and not imported
    legacy_case_path: str | None = None  # that file (stores made before revision 0005 only)
    state: State = State.OPENED
    approved_at: datetime | None = None
    deadline: datetime | None = None
    first_viable_at: datetime | None = None  # when a viable slot was first found (metrics)
    review_slot: Interval | None = None
    review_interpreter: str | None = None
    packet_digest: str | None = None
    confirmed_by: str | None = None
    confirmed_at: datetime | None = None
    version: int = 0
    audit_seq: int = 0
    audit_head: str = GENESIS
    pending: list[AuditEntry] = field(default_factory=list, repr=False)

    def transition(self, action: Action, at: datetime, actor: str, payload: dict[str, Any]) -> State:
        """Move along the transition table (IllegalTransition changes nothing) and audit the move."""
        before = self.state
        after = next_state(before, action)
        self.state = after
        if after not in (State.AWAITING_CONFIRMATION, State.CONFIRMED, State.CANCELLED):
            # Left review (a re-plan, a lost hold, a refused confirmation): the reviewed packet is stale.
            self.review_slot = self.review_interpreter = self.packet_digest = None
        self.record(at, actor, action.value, {**payload, "from": before.value, "to": after.value})
        return after

    def require(self, action: Action) -> None:
        """The one guard of the lifecycle: IllegalTransition (and nothing changed) unless the state allows
        ``action``. Use cases call it before they change anything else."""
        next_state(self.state, action)

    def record(self, at: datetime, actor: str, kind: str, payload: dict[str, Any]) -> AuditEntry:
        """Append an audit entry for a decision taken as of ``at`` (written by the store with the escalation).
        The entry carries the instant it is recorded; ``at`` goes into the payload as ``as_of`` when it
        differs (a command run with ``--now``)."""
        recorded, payload = stamp(at, payload, self.pending[-1].at if self.pending else None)
        entry = chain(self.audit_seq, self.audit_head, self.id, recorded, actor, kind, payload)
        self.audit_seq, self.audit_head = entry.seq, entry.hash
        self.pending.append(entry)
        return entry

    @property
    def is_final(self) -> bool:
        """Confirmed or cancelled: nothing more can be planned (a confirmed readout can only be cancelled)."""
        return self.state in (State.CONFIRMED, State.CANCELLED)
