"""Exception requests and waivers: when nothing complies, a named approver decides; nothing is improvised.

A waiver is scoped to exactly one slot and one family, nothing wider.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum

from readout.domain.intervals import Interval
from readout.domain.names import WAIVABLE

__all__ = ["Decision", "ExceptionRequest", "NearMissOption", "Route", "Waiver", "route_for"]


class Route(Enum):
    """Who decides an exception request."""

    WAIVER_APPROVERS = "waiver_approvers"  # duty manager (coverage) / fix owner's manager or PSM (handoff)
    SUPPORT_LEADERSHIP = "support_leadership"


class Decision(Enum):
    """State of an exception request."""

    OPEN = "open"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # a newer plan replaced the options it offered


@dataclass(frozen=True)
class NearMissOption:
    """A slot that would comply with the listed waivers."""

    slot: Interval
    waivers: tuple[str, ...]
    interpreter: str | None = None


@dataclass(frozen=True)
class ExceptionRequest:
    """A request for a decision: the causes, the nearest options and the deadline at stake."""

    id: int
    escalation_id: str
    requested_at: datetime
    requested_by: str
    route: Route
    causes: tuple[str, ...]
    options: tuple[NearMissOption, ...]
    deadline: datetime | None
    reason: str = ""
    decision: Decision = Decision.OPEN
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None

    def option_at(self, start: datetime) -> NearMissOption | None:
        """The near-miss option starting at ``start``, if the request offered one."""
        return next((o for o in self.options if o.slot.start == start), None)

    def decided(self, decision: Decision, by: str, at: datetime, reason: str) -> ExceptionRequest:
        """The request after a decision."""
        return replace(self, decision=decision, decided_by=by, decided_at=at, decision_reason=reason)


@dataclass(frozen=True)
class Waiver:
    """A recorded approval to break one waivable family for one slot."""

    escalation_id: str
    request_id: int
    slot: Interval
    family: str
    approved_by: str
    approved_at: datetime
    reason: str

    def __post_init__(self) -> None:
        if self.family not in WAIVABLE:
            raise ValueError(f"{self.family} cannot be waived")


def route_for(options: tuple[NearMissOption, ...]) -> Route:
    """Waivable near misses go to their approvers; with none, support leadership decides."""
    return Route.WAIVER_APPROVERS if options else Route.SUPPORT_LEADERSHIP
