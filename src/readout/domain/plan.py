"""The plan result: what the planner found, in the shape the spec's JSON (section 6) describes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

__all__ = ["Candidate", "NearMiss", "Plan", "PlanStatus", "Unreadable", "Unverified"]


class PlanStatus(Enum):
    """Outcome of planning one escalation."""

    READY = "ready"
    NEEDS_EXCEPTION = "needs_exception"
    NOT_READY = "not_ready"


@dataclass(frozen=True)
class Candidate:
    """A compliant slot with its score and the reasons behind it."""

    start: datetime
    end: datetime
    interpreter: str | None
    score: float
    why: tuple[str, ...]


@dataclass(frozen=True)
class NearMiss:
    """A slot that breaks only waivable families; ``waivers`` are the waivers it would need."""

    start: datetime
    end: datetime
    waivers: tuple[str, ...]
    interpreter: str | None


@dataclass(frozen=True)
class Unverified:
    """A person or interpreter taken as free because no calendar is configured."""

    id: str
    role: str


@dataclass(frozen=True)
class Unreadable:
    """A person or interpreter whose configured calendar failed: unavailable for every slot."""

    id: str
    role: str
    error: str


@dataclass(frozen=True)
class Plan:
    """Everything the planner concluded for one escalation at one instant."""

    escalation_id: str
    status: PlanStatus
    not_ready: tuple[str, ...] = ()
    earliest_start: datetime | None = None
    deadline: datetime | None = None
    candidates: tuple[Candidate, ...] = ()
    near_misses: tuple[NearMiss, ...] = ()
    violations: dict[str, int] = field(default_factory=dict)
    causes: tuple[str, ...] = ()
    slots_considered: int = 0
    unverified: tuple[Unverified, ...] = ()
    unknown: tuple[Unreadable, ...] = ()
