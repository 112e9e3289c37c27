"""The HTTP API v1 application (FastAPI): the same use cases as the CLI behind sign-in, with problem+json
errors, ETag/If-Match on escalations and Idempotency-Key on every POST that has an effect (docs/api.md).

The process keeps no state of its own: the store is the only shared state, so several processes may serve
one PostgreSQL store behind a load balancer.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from readout import __version__, bootstrap
from readout.domain.audit import CHANNEL, CREDENTIAL, Credential
from readout.entrypoints.http import audit, commands, escalations, health, problems, report, slack
from readout.entrypoints.http.auth import AuthSettings, auth_router, install_auth
from readout.entrypoints.http.documents import document_schema
from readout.entrypoints.http.mcp import install_mcp
from readout.entrypoints.http.metrics import install_metrics
from readout.entrypoints.web import install_web, is_page
from readout.services.context import Deps

__all__ = ["create_app"]

_DESCRIPTION = """\
Readout schedules the contractual root-cause-analysis readout after a serious incident. This API offers
everything the `readout` command line does, under the same rules: errors are `application/problem+json`,
escalations carry an `ETag` to send back as `If-Match`, and every POST that changes something accepts an
`Idempotency-Key`. See docs/api.md.
"""


def create_app(
    deps: Deps | None = None,
    *,
    now: datetime | None = None,
    environ: Mapping[str, str] | None = None,
    readiness: health.Readiness | None = None,
    auth_settings: AuthSettings | None = None,
) -> FastAPI:
    """The application. ``deps`` default: ``bootstrap.workflow_deps`` from ``environ`` (this process's
    environment), migrating the store; ``now`` pins the clock as ``--now`` does (rehearsals, the demo);
    ``readiness`` default: the store the settings name; ``auth_settings`` default: from ``environ``
    (Refused on a bad value). The OpenID Connect routes are included when ``READOUT_OIDC_ISSUER`` is set."""
    environ = os.environ if environ is None else environ
    if auth_settings is None:  # a bad READOUT_HTTPS or READOUT_PUBLIC_ORIGIN is refused at start-up
        auth_settings = AuthSettings.from_environ(environ)
    config = bootstrap.settings(environ)
    if deps is None:
        deps = bootstrap.workflow_deps(now, environ)
    if readiness is None:
        readiness = health.store_readiness(bootstrap.settings(environ), environ)
    app = FastAPI(
        title="Readout",
        version=__version__,
        summary="Plan, hold and confirm contractual RCA readouts",
        description=_DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.deps = deps
    app.state.readiness = readiness
    app.state.auth_settings = auth_settings
    app.add_middleware(_OverTheApi)
    # The availability grid is large, repetitive HTML (a cell per start per person): compressed, it is a
    # small fraction of that on the wire. Only when the client asks (Accept-Encoding), from 1 kB.
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    problems.install(app)
    install_auth(app)
    for router in (
        health.router,
        auth_router,
        escalations.router,
        commands.router,
        audit.router,
        report.router,
    ):
        app.include_router(router)
    install_metrics(app)  # /metrics (docs/metrics.md)
    install_mcp(app)  # /mcp, the agent tool surface (docs/agents.md)
    if config.slack is not None:  # the leadership channel's buttons and modal (docs/leadership-channel.md)
        app.include_router(slack.router)
    install_web(app)  # the pages (docs/web.md), after the API's error answers, which it keeps for the API
    if config.oidc is not None:  # OpenID Connect sign-in, only when a provider is configured
        from readout.entrypoints.http.oidc import OidcClient, oidc_router

        app.state.oidc = OidcClient(config.oidc, config.outbound)
        app.include_router(oidc_router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


class _OverTheApi:
    """Marks what a request records in the audit trail as done over the API (``via: api``) or from the web
    app's pages (``via: web``), as the CLI marks its own (``via: cli``): who acted is the signed-in
    principal, never a typed ``--as``; and names the
    credential it signed in with (``credential``: ``token <id>`` or ``session <digest prefix>``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        over = "web" if scope["type"] == "http" and is_page(str(scope.get("path", ""))) else "api"
        channel, credential = CHANNEL.set(over), CREDENTIAL.set(Credential())  # filled in at sign-in
        try:
            await self.app(scope, receive, send)
        finally:
            CREDENTIAL.reset(credential)
            CHANNEL.reset(channel)


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with the case document's schema (the case file's own) and the problem type."""
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    schema = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    document = document_schema()
    for name, definition in document.pop("$defs", {}).items():
        components[name] = definition
    components[escalations.CASE_DOCUMENT] = document
    components["Problem"] = _PROBLEM
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            _document_errors(path, method, operation.setdefault("responses", {}))
    app.openapi_schema = schema
    return schema


_ANY, _UNSAFE = ("get", "post", "put", "patch", "delete"), ("post", "put", "patch", "delete")
# Answers every /v1 operation may give, whatever its own route documents: (methods, description).
_V1_ERRORS: dict[str, tuple[tuple[str, ...], str]] = {
    "400": (_UNSAFE, "a malformed header (e.g. Idempotency-Key)"),
    "401": (_ANY, "not signed in: no session, or the API token is unknown, expired or revoked"),
    "403": (_ANY, "refused: the user's roles, the token's scopes, or a cross-site request"),
    "422": (_UNSAFE, "an invalid request body or parameter; `errors` lists the field paths"),
    "503": (_ANY, "the store is unavailable; nothing was changed"),
}
_SPECIAL: dict[tuple[str, str], dict[str, str]] = {
    ("/v1/escalations", "post"): {"413": "the case document is larger than a case file may be"},
    ("/v1/escalations/{escalation_id}/case", "put"): {"413": "the case document is too large"},
    ("/v1/session", "post"): {"429": "too many failed sign-ins: wait Retry-After seconds"},
}


def _document_errors(path: str, method: str, answers: dict[str, Any]) -> None:
    """Every error an operation may answer, each as ``application/problem+json`` (what the handlers send)."""
    if path.startswith("/v1/"):
        for status, (methods, why) in _V1_ERRORS.items():
            if method in methods:
                answers.setdefault(status, {"description": why})
    for status, why in _SPECIAL.get((path, method), {}).items():
        answers.setdefault(status, {"description": why})
    for status, answer in answers.items():
        if status.isdigit() and int(status) >= 400:
            answer["content"] = {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            }


_PROBLEM: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details; `field` and `expected` for an invalid case document",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "field": {"type": "string", "description": "the case file's field path, e.g. people.luis.timezone"},
        "expected": {"type": "string"},
    },
    "required": ["type", "title", "status", "detail"],
}
