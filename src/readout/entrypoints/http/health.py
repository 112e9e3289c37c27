"""Liveness (``/healthz``: the process answers) and readiness (``/readyz``: the store is reachable and its
schema is at the head revision this Readout knows; 503 otherwise, so a load balancer sends no traffic)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from readout.entrypoints.http.problems import problem
from readout.entrypoints.http.schemas import HealthOut, ReadyOut

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from readout.config import Settings

__all__ = ["Readiness", "router", "store_readiness"]

# What readiness answers: None when ready, else why not (no password, no secret).
Readiness = Callable[[], "tuple[str | None, str | None]"]

router = APIRouter(tags=["health"])


def store_readiness(config: Settings, environ: Mapping[str, str]) -> Readiness:
    """Readiness of the SQL store the settings name: ``(revision, None)`` when it answers at the head
    revision, ``(revision, why)`` when not. One engine is kept for the checks."""
    from readout.adapters.sql import (
        create_engine_from_url,
        current_revision,
        default_database_url,
        head_revision,
    )
    from readout.adapters.sql.failures import shown_url

    url = config.database_url or default_database_url(environ)
    head = head_revision()
    engine: list[Engine] = []

    def check() -> tuple[str | None, str | None]:
        try:
            if not engine:
                engine.append(create_engine_from_url(url))
            revision = current_revision(engine[0])
        except Exception as error:  # any failure to reach the store means: not ready
            return None, f"store {shown_url(url)} unreachable ({type(error).__name__})"
        if revision != head:
            return revision, f"store schema at revision {revision}, expected {head}: run the migrations"
        return revision, None

    return check


@router.get("/healthz", response_model=HealthOut, summary="Liveness: the process answers")
def healthz() -> dict[str, str]:
    """Always ``ok`` while the process serves requests (it does not touch the store)."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=ReadyOut,
    responses={503: {"description": "not ready", "content": {"application/problem+json": {}}}},
    summary="Readiness: the store is reachable and migrated to head",
)
def readyz(request: Request) -> JSONResponse:
    """200 when the store answers at the head revision; 503 problem saying why not."""
    readiness: Readiness = request.app.state.readiness
    revision, why = readiness()
    if why is not None:
        return problem(503, "not-ready", "Not ready", why, {"Retry-After": "5"}, revision=revision)
    return JSONResponse({"status": "ready", "revision": revision})
