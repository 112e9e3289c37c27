"""The customer's pick link. Placeholder: being written. ``pick_context`` is the contract the escalation page
uses: what the partial ``templates/escalation/_pick.html`` needs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from readout.entrypoints.http.auth import Principal
from readout.services.queries import Status

__all__ = ["pick_context", "router"]

router = APIRouter(include_in_schema=False)


def pick_context(request: Request, who: Principal, status: Status) -> dict[str, Any]:
    """What ``escalation/_pick.html`` shows for ``who`` on this escalation."""
    return {}
