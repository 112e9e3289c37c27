"""The plan as the spec's JSON document (section 6), both ways: what ``readout plan`` prints and the store
keeps, and the ``Plan`` read back from it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from readout.domain.intervals import utc_text
from readout.domain.plan import Candidate, NearMiss, Plan, PlanStatus, Unreadable, Unverified

__all__ = ["parse_utc", "plan_from_json", "plan_to_json"]


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


def _instant(text: str | None) -> datetime | None:
    return None if text is None else parse_utc(text)


def parse_utc(text: str) -> datetime:
    """Parse the plan JSON's ``YYYY-MM-DDTHH:MM:SSZ``."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def plan_from_json(data: Mapping[str, Any]) -> Plan:
    """The ``Plan`` a complete JSON result (every candidate and near miss) describes."""
    return Plan(
        escalation_id=data["escalation_id"],
        status=PlanStatus(data["status"]),
        not_ready=tuple(data["not_ready"]),
        earliest_start=_instant(data["earliest_start"]),
        deadline=_instant(data["deadline"]),
        candidates=tuple(
            Candidate(
                parse_utc(c["start"]), parse_utc(c["end"]), c["interpreter"], c["score"], tuple(c["why"])
            )
            for c in data["candidates"]
        ),
        near_misses=tuple(
            NearMiss(parse_utc(n["start"]), parse_utc(n["end"]), tuple(n["waivers"]), n["interpreter"])
            for n in data["near_misses"]
        ),
        violations=dict(data["violations"]),
        causes=tuple(data["causes"]),
        slots_considered=data["slots_considered"],
        unverified=tuple(Unverified(u["id"], u["role"]) for u in data["unverified"]),
        unknown=tuple(Unreadable(u["id"], u["role"], u["error"]) for u in data["unknown"]),
    )
