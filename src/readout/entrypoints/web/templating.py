"""Jinja2 for the web app's pages: one environment, autoescaped, with the presentation helpers as filters so
that every page shows times as the CLI and the API do (the contract zone's local time with its city, then
UTC; a person's own time where it concerns them)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from readout.presentation import times

__all__ = ["STATIC", "TEMPLATES", "page", "templates"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"

templates = Jinja2Templates(directory=TEMPLATES)


def _utc_iso(moment: datetime) -> str:
    """UTC ISO 8601 with a Z (what ``data-start`` attributes and ``<time datetime>`` carry)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ago(moment: datetime | None, now: datetime) -> str:
    """How long ago ``moment`` was, in words ("2 h ago", "5 min ago", "3 d ago"); "" for a moment after
    ``now`` (a rehearsal's clock pinned before it)."""
    if moment is None or moment > now:
        return ""
    seconds = int((now - moment).total_seconds())
    if seconds < 3600:
        return f"{max(1, seconds // 60)} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


def _left(moment: datetime | None, now: datetime) -> str:
    """Time left until ``moment`` ("3 d 4 h left", "5 h left", "passed")."""
    if moment is None:
        return ""
    seconds = int((moment - now).total_seconds())
    if seconds <= 0:
        return "passed"
    days, hours = seconds // 86400, (seconds % 86400) // 3600
    if days:
        return f"{days} d {hours} h left"
    return f"{hours} h {(seconds % 3600) // 60} min left" if hours else f"{max(1, seconds // 60)} min left"


env = templates.env
env.filters["instant"] = times.instant  # contract-zone time with city, then UTC
env.filters["local_instant"] = times.local_instant
env.filters["slot"] = times.slot
env.filters["local_span"] = times.local_span
env.filters["person_span"] = times.person_span
env.filters["deadline"] = times.deadline
env.filters["city"] = times.city
env.filters["utc_iso"] = _utc_iso
env.globals["ago"] = _ago
env.globals["left"] = _left


def page(
    request: Request, name: str, context: Mapping[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """The page ``name`` rendered for ``request``; every page gets ``request`` and ``viewer`` (the
    signed-in principal, or None), and is never cached (it shows the viewer's data)."""
    values = {"viewer": getattr(request.state, "viewer", None), **(context or {})}
    response = templates.TemplateResponse(request, name, values, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response
