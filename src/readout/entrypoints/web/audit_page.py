"""An escalation's audit page (``/escalations/{id}/audit``): every entry of its trail in words (the CLI's
``audit show`` sentences), when it was recorded (the contract zone's local time, then UTC), who acted (by
name), how they reached Readout (``via`` and ``credential``), whether the hash chain is intact, and links to
the API's export of the same entries as JSON, CSV, self-describing JSON Lines or an HTML report (a session
cookie reads API routes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from readout.domain.audit import AuditEntry
from readout.domain.users import SYSTEM
from readout.entrypoints.http.auth import request_deps
from readout.entrypoints.http.escalations import EscalationId
from readout.entrypoints.web.signin import Viewer
from readout.entrypoints.web.templating import page
from readout.presentation import audit
from readout.services import queries
from readout.services.context import Deps

__all__ = ["TrailLine", "router", "trail_lines"]

router = APIRouter(include_in_schema=False)

_CHANNELS = {"cli": "command line", "api": "API", "web": "web app"}


@dataclass(frozen=True)
class TrailLine:
    """One audit entry as the page shows it."""

    seq: int
    at: datetime
    recorded: str  # contract-zone wall time, then UTC (the column heading names the city)
    as_of: str  # the instant a command acted as of (``--now``), "" when it acted at the recording time
    actor: str  # the user's name, else the id as recorded
    actor_id: str
    kind: str
    what: str
    via: str  # how the actor reached Readout, "" when not recorded (a use case called directly)
    credential: str  # ``token <id>`` or ``session <digest prefix>``, "" when none

    @property
    def how(self) -> str:
        return _CHANNELS.get(self.via, self.via)


def _names(deps: Deps) -> dict[str, str]:
    """Each user's name by id (the actors of the trail; Readout's own actor among them)."""
    with deps.look() as uow:
        return {SYSTEM.id: SYSTEM.name, **{u.id: u.name for u in uow.users.list()}}


def trail_lines(entries: list[AuditEntry], zone: str, names: dict[str, str]) -> list[TrailLine]:
    """The entries in order, worded as ``readout audit show`` words them."""
    return [
        TrailLine(
            seq=e.seq,
            at=e.at,
            recorded=audit.recorded_at(e.at, zone),
            as_of=audit.as_of(e.payload, zone, with_city=False),
            actor=audit.actor_text(names.get(e.actor, e.actor), e.payload),
            actor_id=e.actor,
            kind=e.kind,
            what=audit.describe(e.kind, e.payload, zone, with_as_of=False),
            via=str(e.payload.get("via") or ""),
            credential=str(e.payload.get("credential") or ""),
        )
        for e in entries
    ]


@router.get("/escalations/{escalation_id}/audit", response_class=HTMLResponse)
def audit_page(request: Request, escalation_id: EscalationId, who: Viewer) -> HTMLResponse:
    """The trail, its verification and the export links (an unknown escalation: a 404 page)."""
    deps = request_deps(request)
    entries = queries.audit_trail(deps, escalation_id)
    status = queries.escalation_status(deps, escalation_id)
    zone = status.zones.contract if status.zones else "UTC"
    problems = queries.verify_audit(deps, escalation_id).get(escalation_id, [])
    lines = trail_lines(entries, zone, _names(deps))
    export = f"/v1/escalations/{quote(escalation_id, safe='')}/audit/export"
    context = {
        "escalation": status.escalation,
        "zone": zone,
        "lines": lines,
        "with_as_of": any(line.as_of for line in lines),
        "problems": problems,
        "export_json": f"{export}?format=json",
        "export_csv": f"{export}?format=csv",
        "export_jsonl": f"{export}?format=jsonl",
        "export_html": f"{export}?format=html",
        "escalation_url": f"/escalations/{quote(escalation_id, safe='')}",
    }
    return page(request, "audit.html", context)
