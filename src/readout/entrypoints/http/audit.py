"""The audit trail over HTTP: show an escalation's entries, verify its chain (or every chain, with the users
chain), and export it as JSON or CSV for an auditor."""

from __future__ import annotations

import csv
import io
import json
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from readout.entrypoints.http.auth import Principal, require_scope
from readout.entrypoints.http.escalations import PROBLEMS, EscalationId
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
    "/v1/escalations/{escalation_id}/audit/export",
    response_model=list[AuditEntryOut],
    responses=PROBLEMS | {200: {"content": {"text/csv": {}}, "description": "the entries (JSON or CSV)"}},
    summary="Export the audit trail as a JSON or CSV file",
)
def export(
    request: Request,
    escalation_id: EscalationId,
    _: Principal = Depends(read),  # noqa: B008
    format: Annotated[Literal["json", "csv"], Query(description="file format")] = "json",
) -> Response:
    """The same entries as ``readout audit export``, as a download (CSV: the payload as JSON text)."""
    views = [audit_view(e) for e in queries.audit_trail(deps_of(request), escalation_id)]
    name = f"audit-{escalation_id}.{format}".replace('"', "")
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "json":
        return JSONResponse(views, headers=disposition)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_COLUMNS)
    for v in views:
        writer.writerow([json.dumps(v[c], sort_keys=True) if c == "payload" else v[c] for c in _COLUMNS])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=disposition)
