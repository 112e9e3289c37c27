"""The plan as the spec's JSON document (section 6)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from readout.domain.plan import Plan

__all__ = ["plan_to_json", "utc_text"]


def utc_text(moment: datetime | None) -> str | None:
    """``YYYY-MM-DDTHH:MM:SSZ``, or None."""
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def plan_to_json(plan: Plan, limit: int | None) -> dict[str, Any]:
    """The JSON result; ``limit`` caps candidates and near misses (None: all of them)."""
    candidates = plan.candidates if limit is None else plan.candidates[:limit]
    near = plan.near_misses if limit is None else plan.near_misses[:limit]
    return {
        "escalation_id": plan.escalation_id,
        "status": plan.status.value,
        "not_ready": list(plan.not_ready),
        "earliest_start": utc_text(plan.earliest_start),
        "deadline": utc_text(plan.deadline),
        "candidates": [
            {
                "start": utc_text(c.start),
                "end": utc_text(c.end),
                "interpreter": c.interpreter,
                "score": c.score,
                "why": list(c.why),
            }
            for c in candidates
        ],
        "near_misses": [
            {
                "start": utc_text(n.start),
                "end": utc_text(n.end),
                "waivers": list(n.waivers),
                "interpreter": n.interpreter,
            }
            for n in near
        ],
        "violations": dict(plan.violations),
        "causes": list(plan.causes),
        "compliant_count": len(plan.candidates),
        "near_miss_count": len(plan.near_misses),
        "slots_considered": plan.slots_considered,
        "unverified": [{"id": u.id, "role": u.role} for u in plan.unverified],
        "unknown": [{"id": u.id, "role": u.role, "error": u.error} for u in plan.unknown],
    }
