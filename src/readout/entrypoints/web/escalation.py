"""An escalation's page (``/escalations/{id}``): the deadline with its working, not-ready reasons, the
availability grid, the ranked candidates, and the actions (``actions``), pick links (``pick``).

Placeholder: being written. ``render_escalation`` is the contract the action handlers use to answer with the
page and a message after acting."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from readout.entrypoints.http.auth import Principal
from readout.entrypoints.web.flash import Flash
from readout.entrypoints.web.templating import page

__all__ = ["render_escalation", "router"]

router = APIRouter(include_in_schema=False)


def render_escalation(
    request: Request, who: Principal, escalation_id: str, flash: Flash | None = None, status_code: int = 200
) -> HTMLResponse:
    """The escalation's page for ``who``, with ``flash`` at the top (after an action)."""
    context = {"escalation_id": escalation_id, "flash": flash}
    return page(
        request,
        "error.html",
        {"title": escalation_id, "detail": "page being written", **context},
        status_code,
    )
