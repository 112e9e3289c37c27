"""Response bodies built from use-case outcomes with the CLI's views (``services.views``), checked against the
response models of ``schemas`` so that what goes out is what ``/openapi.json`` says."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Request
from pydantic import BaseModel

from readout.adapters.plan_json import plan_to_json
from readout.domain.escalation import Escalation
from readout.domain.exception_requests import Decision
from readout.entrypoints.http.conditions import etag
from readout.services import queries
from readout.services.context import Deps
from readout.services.escalations import PlanOutcome
from readout.services.views import (
    effect_view,
    effects_pending,
    escalation_view,
    hold_view,
    request_view,
    waiver_view,
)

__all__ = [
    "checked",
    "deciders_view",
    "deps_of",
    "location",
    "open_request_of",
    "opened_view",
    "pending",
    "status_view",
    "tag_headers",
]


def deps_of(request: Request) -> Deps:
    """The adapters the app was made with (``app.state.deps``, as the auth dependency reads them)."""
    deps: Deps = request.app.state.deps
    return deps


def checked(model: type[BaseModel], data: Any) -> dict[str, Any]:
    """``data`` as its response model serialises it (a mismatch fails here, not in a client)."""
    dumped: dict[str, Any] = model.model_validate(data).model_dump(mode="json")
    return dumped


def location(escalation_id: str) -> str:
    """The escalation's URL path."""
    return f"/v1/escalations/{quote(escalation_id, safe='')}"


def tag_headers(deps: Deps, escalation_id: str) -> dict[str, str]:
    """``ETag`` of the escalation as stored after the command (it may have changed again since)."""
    with deps.look() as uow:
        found = uow.escalations.get(escalation_id)
    return {"ETag": etag(found)} if found is not None else {}


def deciders_view(groups: tuple[queries.DeciderGroup, ...]) -> list[dict[str, Any]]:
    """Who may decide the open exception request, per family (None: the whole request)."""
    return [
        {"family": g.family or None, "roles": list(g.roles), "users": [uid for uid, _ in g.users]}
        for g in groups
    ]


def opened_view(deps: Deps, outcome: PlanOutcome, limit: int | None) -> dict[str, Any]:
    """An escalation opened, given a new case version or planned again."""
    esc = outcome.escalation
    groups = queries.deciders(deps, esc.id) if outcome.request else ()
    return {
        **escalation_view(esc),
        "contract_zone": queries.zones_of_case(outcome.planned.case).contract,
        "case_version": {"version": esc.case_version, "digest": esc.case_digest, "new": outcome.new_version},
        "plan": plan_to_json(outcome.planned.plan, limit),
        "exception_request": request_view(outcome.request) if outcome.request else None,
        "deciders": deciders_view(groups),
    }


def status_view(deps: Deps, escalation_id: str, limit: int | None) -> tuple[Escalation, dict[str, Any]]:
    """What ``readout status`` shows, with the escalation it was read from (for its ETag)."""
    status = queries.escalation_status(deps, escalation_id)
    return status.escalation, {
        **escalation_view(status.escalation),
        "contract_zone": status.zones.contract if status.zones else None,
        "case_version": status.escalation.case_version,
        "invitation_sent": False if status.invited is False else None,
        "holds": [hold_view(h) for h in status.holds],
        "exception_requests": [request_view(r) for r in status.requests],
        "waivers": [waiver_view(w) for w in status.waivers],
        "effects": [effect_view(e) for e in status.effects],
        "deciders": deciders_view(status.deciders),
        "plan": plan_to_json(status.plan, limit) if status.plan else None,
    }


def open_request_of(status: queries.Status) -> dict[str, Any] | None:
    """The exception request still waiting for a decision, if any."""
    waiting = next((r for r in status.requests if r.decision is Decision.OPEN), None)
    return request_view(waiting) if waiting else None


def pending(effects: Any) -> bool:
    """Whether any effect is not carried out yet (pending, failed, uncertain)."""
    return effects_pending(tuple(effects))
