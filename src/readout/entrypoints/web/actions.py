"""The actions on an escalation's page (hold, extend, release, review, confirm, request an exception).

Placeholder: being written. ``actions_context`` is the contract the escalation page uses: what the partial
``templates/escalation/_actions.html`` needs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from readout.entrypoints.http.auth import Principal
from readout.services.queries import Status

__all__ = ["actions_context", "router"]

router = APIRouter(include_in_schema=False)


def actions_context(request: Request, who: Principal, status: Status) -> dict[str, Any]:
    """What ``escalation/_actions.html`` shows for ``who`` on this escalation."""
    return {}
