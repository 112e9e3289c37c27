"""The audit trail over HTTP: show an escalation's entries, verify its chain (or every chain, with the users
chain), explain what the log says about one slot, and export it as JSON, CSV, self-describing JSON Lines or
a readable HTML report for an auditor."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from readout.entrypoints.http.auth import Principal, require_scope
from readout.entrypoints.http.escalations import PROBLEMS, EscalationId
from readout.entrypoints.http.problems import Problem
from readout.entrypoints.http.responses import checked, deps_of
from readout.entrypoints.http.schemas import AuditEntryOut, VerifyOut
from readout.services import queries
from readout.services.views import audit_view

__all__ = ["router"]

router = APIRouter(tags=["audit"])
read = require_scope("read")
_COLUMNS = ("escalation", "seq", "at", "actor", "kind", "payload", "prev_hash", "hash")


@router.get(
    "/v1/escalations/{escalation_id}/audit",
    response_model=list[AuditEntryOut],
    responses=PROBLEMS,
    summary="The escalation's audit trail, in order",
)
def audit_trail(
    request: Request,
    escalation_id: EscalationId,
    _: Principal = Depends(read),  # noqa: B008
) -> list[dict[str, object]]:
    """Every entry: who did what, when (UTC, microseconds), with the hash chain's links."""
    return [audit_view(e) for e in queries.audit_trail(deps_of(request), escalation_id)]


@router.get(
    "/v1/escalations/{escalation_id}/audit/verify",
    response_model=VerifyOut,
    responses=PROBLEMS,
    summary="Verify the escalation's audit chain",
)
def verify_one(
    request: Request,
    escalation_id: EscalationId,
    _: Principal = Depends(read),  # noqa: B008
) -> dict[str, object]:
    """``intact`` false and the problems per chain when an entry was changed, removed or reordered."""
    chains = queries.verify_audit(deps_of(request), escalation_id)
    return {"intact": not any(chains.values()), "chains": chains}


@router.get(
    "/v1/audit/verify", response_model=VerifyOut, summary="Verify every audit chain and the users chain"
)
def verify_all(request: Request, _: Principal = Depends(read)) -> dict[str, object]:  # noqa: B008
    """Every escalation's chain, and the users chain (as ``users``) once users were imported."""
    from readout.services.users import verify_users_chain

    deps = deps_of(request)
    chains = queries.verify_audit(deps)
    users = verify_users_chain(deps)
    if users is not None:  # an escalation called "users" has its problems reported with the chain's
        chains["users"] = chains.get("users", []) + users
    return checked(VerifyOut, {"intact": not any(chains.values()), "chains": chains})


@router.get(
    "/v1/escalations/{escalation_id}/audit/explain",
    responses=PROBLEMS,
    summary="What the audit log says about one slot: each plan's answer, its holds and exceptions",
)
def explain(
    request: Request,
    escalation_id: EscalationId,
    slot: Annotated[datetime, Query(description="the slot's start, ISO 8601 with an offset")],
    _: Principal = Depends(read),  # noqa: B008
) -> dict[str, Any]:
    """From the log alone (nothing is planned again): for each plan entry in order, whether the start was
    offered (with its rank when recorded), a near miss or rejected, and which families blocked it; then the
    holds placed and ended on it and the exception requests that offered it, with who decided and why. The
    same as ``readout audit explain ESC --slot START --json``."""
    from readout.presentation.audit import explanation_data

    if slot.tzinfo is None:
        raise Problem(
            422, "invalid-request", "The request is not valid", "slot: expected an offset (Z or +HH:MM)"
        )
    found = queries.explain_slot(deps_of(request), escalation_id, slot)
    return {"escalation": escalation_id, **explanation_data(found)}


@router.get(
    "/v1/escalations/{escalation_id}/audit/export",
    response_model=list[AuditEntryOut],
    responses=PROBLEMS
    | {
        200: {
            "content": {"text/csv": {}, "application/jsonl": {}, "text/html": {}},
            "description": "the entries (JSON, CSV, self-describing JSON Lines, or an HTML report)",
        }
    },
    summary="Export the audit trail as a JSON, CSV, JSON Lines or HTML file",
)
def export(
    request: Request,
    escalation_id: EscalationId,
    _: Principal = Depends(read),  # noqa: B008
    format: Annotated[Literal["json", "csv", "jsonl", "html"], Query(description="file format")] = "json",
) -> Response:
    """The same as ``readout audit export``, as a download (CSV: the payload as JSON text; JSON Lines: a
    header, the entries and the head, verifiable offline as docs/audit.md shows; HTML: the report)."""
    deps = deps_of(request)
    entries = queries.audit_trail(deps, escalation_id)
    views = [audit_view(e) for e in entries]
    name = f"audit-{escalation_id}.{format}".replace('"', "")
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format in ("jsonl", "html"):
        from readout.presentation.audit import html_report
        from readout.services.anchoring import export_lines

        lines = export_lines(deps, escalation_id, deps.clock())
        if format == "jsonl":
            body = "".join(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n" for line in lines)
            return Response(body, media_type="application/jsonl; charset=utf-8", headers=disposition)
        zones = queries.case_zones(deps, escalation_id)
        last = lines[-1]
        page = html_report(
            escalation_id,
            entries,
            zones.contract if zones else "UTC",
            last["verified"]["problems"],
            (int(last["head"]["seq"]), str(last["head"]["hash"])),
            deps.clock(),
        )
        return Response(page, media_type="text/html; charset=utf-8", headers=disposition)
    if format == "json":
        return JSONResponse(views, headers=disposition)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_COLUMNS)
    for v in views:
        writer.writerow([json.dumps(v[c], sort_keys=True) if c == "payload" else v[c] for c in _COLUMNS])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=disposition)
