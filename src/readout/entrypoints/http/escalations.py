"""Escalations as resources: open one from its case document, list them, read one (``readout status``),
store a new version of its case document, and plan it again."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from readout.domain.case_document import CaseDocument
from readout.domain.lifecycle import State
from readout.entrypoints.http.auth import Principal, require_scope
from readout.entrypoints.http.conditions import check_if_match, etag
from readout.entrypoints.http.documents import case_document
from readout.entrypoints.http.idempotency import Attempt, Outcome, attempt, once
from readout.entrypoints.http.responses import (
    checked,
    deps_of,
    location,
    opened_view,
    status_view,
    tag_headers,
)
from readout.entrypoints.http.schemas import ListItemOut, OpenedOut, PlanBody, StatusOut
from readout.services import queries
from readout.services.views import escalation_view

__all__ = ["CASE_DOCUMENT", "PROBLEMS", "EscalationId", "IfMatch", "Limit", "router"]

router = APIRouter(prefix="/v1/escalations", tags=["escalations"])
read = require_scope("read")
write = require_scope("write")

CASE_DOCUMENT = "CaseDocument"  # the request body's schema in /openapi.json (the case file's own)
_DOCUMENT_BODY = {
    "requestBody": {
        "required": True,
        "description": "the case document as JSON: the case file's schema (docs/case-file.md)",
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{CASE_DOCUMENT}"}}},
    }
}
EscalationId = Annotated[
    str, Path(max_length=200, description="the escalation id (escalation.id of its case document)")
]
Limit = Annotated[int | None, Query(ge=1, le=10_000, description="candidates and near misses shown (all)")]
IfMatch = Annotated[str | None, Header(alias="If-Match", description="the ETag read: 412 when stale")]
PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {"description": what, "content": {"application/problem+json": {}}}
    for code, what in (
        (401, "not signed in"),
        (403, "the user's roles (or the token's scope) do not allow it"),
        (404, "no such escalation"),
        (409, "refused in the escalation's current state"),
        (412, "If-Match names a stale version"),
        (422, "invalid document or request; `field` names the field path"),
    )
}

_ALREADY_OPEN: dict[int | str, dict[str, Any]] = {
    200: {"description": "already open: stored as its next version if changed, and planned again"}
}
_NOT_MODIFIED: dict[int | str, dict[str, Any]] = {304: {"description": "If-None-Match names the version"}}


@router.post(
    "",
    status_code=201,
    response_model=OpenedOut,
    responses=_ALREADY_OPEN | PROBLEMS,
    openapi_extra=_DOCUMENT_BODY,
    summary="Open an escalation from its case document and plan it",
)
def open_escalation(
    request: Request,
    document: CaseDocument = Depends(case_document),  # noqa: B008 (FastAPI's idiom)
    tried: Attempt = Depends(attempt),  # noqa: B008
    limit: Limit = None,
) -> Response:
    """Store the document as the escalation's record (version 1) and plan it: 201 with ``Location``. For an
    escalation already open the document is stored as its next version when it changed and the escalation
    is planned again (200), as ``readout open`` does."""
    from readout.services.escalations import open_escalation as open_it

    deps = deps_of(request)

    def act() -> Outcome:
        outcome = open_it(deps, document, tried.user_id)
        esc = outcome.escalation
        created = esc.case_version == 1 and outcome.new_version
        headers = {"Location": location(esc.id), **tag_headers(deps, esc.id)}
        return Outcome(
            201 if created else 200, checked(OpenedOut, opened_view(deps, outcome, limit)), headers
        )

    answered = once(deps, tried, act)
    if answered.status_code == 201 and "location" not in answered.headers:  # a replayed creation
        answered.headers["Location"] = location(str(document.body.get("escalation", {}).get("id", "")))
    return answered


@router.get("", response_model=list[ListItemOut], summary="List escalations (oldest first)")
def list_escalations(
    request: Request,
    _: Principal = Depends(read),  # noqa: B008
    state: Annotated[State | None, Query(description="only escalations in this state")] = None,
    customer: Annotated[str | None, Query(max_length=200, description="only this customer id")] = None,
) -> list[dict[str, object]]:
    """Every stored escalation with the zone its deadline is read in, filtered by state and customer."""
    listing = queries.escalation_listing(deps_of(request))
    return [
        {**escalation_view(x.escalation), "contract_zone": x.zones.contract if x.zones else None}
        for x in listing
        if (state is None or x.escalation.state is state)
        and (customer is None or x.escalation.customer_id == customer)
    ]


@router.get(
    "/{escalation_id}",
    response_model=StatusOut,
    responses=_NOT_MODIFIED | PROBLEMS,
    summary="One escalation: state, plan, holds, exception requests (readout status)",
)
def get_escalation(
    request: Request,
    escalation_id: EscalationId,
    _: Principal = Depends(read),  # noqa: B008
    limit: Limit = None,
    if_none_match: Annotated[str | None, Header(alias="If-None-Match")] = None,
) -> Response:
    """What ``readout status`` shows, with an ``ETag`` to send back as ``If-Match`` when changing it."""
    esc, view = status_view(deps_of(request), escalation_id, limit)
    tag = etag(esc)
    if if_none_match is not None and tag in [t.strip() for t in if_none_match.split(",")]:
        return Response(status_code=304, headers={"ETag": tag})
    return JSONResponse(checked(StatusOut, view), headers={"ETag": tag})


@router.put(
    "/{escalation_id}/case",
    response_model=OpenedOut,
    responses=PROBLEMS,
    openapi_extra=_DOCUMENT_BODY,
    summary="Store a new version of the escalation's case document and plan again",
)
def put_case(
    request: Request,
    escalation_id: EscalationId,
    document: CaseDocument = Depends(case_document),  # noqa: B008
    who: Principal = Depends(write),  # noqa: B008
    if_match: IfMatch = None,
    limit: Limit = None,
) -> JSONResponse:
    """The document must describe this escalation; an unchanged one only plans again (``case_version.new``
    false), as ``readout update`` does."""
    from readout.services.escalations import update_case

    deps = deps_of(request)
    check_if_match(deps, escalation_id, if_match)
    outcome = update_case(deps, escalation_id, document, who.user.id)
    body = checked(OpenedOut, opened_view(deps, outcome, limit))
    return JSONResponse(body, headers=tag_headers(deps, escalation_id))


@router.post(
    "/{escalation_id}/plan",
    response_model=OpenedOut,
    responses=PROBLEMS,
    summary="Plan again from the stored case document, reading the calendars again",
)
def plan_again(
    request: Request,
    escalation_id: EscalationId,
    body: Annotated[PlanBody | None, Body()] = None,
    tried: Attempt = Depends(attempt),  # noqa: B008
    if_match: IfMatch = None,
    limit: Limit = None,
) -> Response:
    """Re-plan (inputs changed, an approval came, a hold was lost), as ``readout plan ESC`` does."""
    from readout.services.escalations import plan_escalation

    deps = deps_of(request)
    reason = (body or PlanBody()).reason

    def act() -> Outcome:
        check_if_match(deps, escalation_id, if_match)
        outcome = plan_escalation(deps, escalation_id, tried.user_id, reason)
        return Outcome(
            200, checked(OpenedOut, opened_view(deps, outcome, limit)), tag_headers(deps, escalation_id)
        )

    return once(deps, tried, act)
