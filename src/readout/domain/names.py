"""Names the spec fixes: the four roles of a readout and the constraint families (spec section 5).

Plain constants, so that what only stores and shows escalations can name them without loading the planner.
"""

from __future__ import annotations

__all__ = [
    "CAB_BLACKOUT",
    "COVERAGE",
    "CUSTOMER_HOURS",
    "FAMILY_ORDER",
    "HANDOFF_WINDOW",
    "INTERPRETER",
    "ROLES",
    "WAIVABLE",
    "WAIVER_AUTHORITY",
    "attendee_family",
    "family_order",
]

ROLES = ("escalation_manager", "fix_owner", "customer_success_director", "customer_incident_manager")

COVERAGE = "COVERAGE"
CUSTOMER_HOURS = "CUSTOMER_HOURS"
CAB_BLACKOUT = "CAB_BLACKOUT"
HANDOFF_WINDOW = "HANDOFF_WINDOW"
INTERPRETER = "INTERPRETER"
WAIVABLE = frozenset({COVERAGE, HANDOFF_WINDOW})
FAMILY_ORDER = (
    COVERAGE,
    CUSTOMER_HOURS,
    CAB_BLACKOUT,
    HANDOFF_WINDOW,
    *(f"ATTENDEE:{r}" for r in ROLES),
    INTERPRETER,
)
# Who may waive each family (spec section 5). Families not listed are never waived: they escalate.
WAIVER_AUTHORITY: dict[str, str] = {
    COVERAGE: "duty manager",
    HANDOFF_WINDOW: "fix owner's manager or the premium support program manager",
}


def attendee_family(role: str) -> str:
    """The family name for a required role, e.g. ``ATTENDEE:fix_owner``."""
    return f"ATTENDEE:{role}"


def family_order(family: str) -> int:
    """Stable display order of families."""
    return FAMILY_ORDER.index(family) if family in FAMILY_ORDER else len(FAMILY_ORDER)
