"""The web app: server-rendered pages (Jinja2; htmx pinned and served, not yet needed) over the same services,
gates and sign-in as the API (docs/web.md).

``install_web(app)`` adds the pages, ``/static/`` and the answers pages give on errors: an HTML page saying
what was refused and why (the same mapping of Readout's errors as the API's problem+json, which API routes
keep), and a redirect to the sign-in form, remembering the page, when nobody is signed in.

Pages, one module each: ``signin`` (the form), ``board`` (the readouts board, ``/``), ``escalation`` (an
escalation's page and its availability grid), ``actions`` (hold, extend, release, review, confirm, request an
exception, from that page), ``approvals`` (an exception request's page: approve, reject), ``pick`` (the
customer's pick link), ``audit_page`` (the trail, its verification, export).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.responses import Response

from readout.entrypoints.http.auth import AuthProblem
from readout.entrypoints.http.problems import classify
from readout.entrypoints.web import (
    actions,
    approvals,
    audit_page,
    board,
    escalation,
    pick,
    report_page,
    signin,
)
from readout.entrypoints.web.templating import STATIC, page
from readout.errors import ReadoutError

__all__ = ["install_web", "is_page"]

_log = logging.getLogger(__name__)
_NOT_PAGES = ("/v1/", "/openapi.json", "/docs", "/healthz", "/readyz", "/static/", "/slack/", "/mcp")

Handler = Callable[[Request, Exception], Response | Awaitable[Response]]


def is_page(request: Request | str) -> bool:
    """Whether the request (or path) is for a page of the web app (else the API's problem+json answers)."""
    path = request if isinstance(request, str) else request.url.path
    return not any(path == p.rstrip("/") or path.startswith(p) for p in _NOT_PAGES)


def _error_page(request: Request, status: int, title: str, detail: str, unchanged: bool = True) -> Response:
    """The error as a page; ``unchanged``: the request was refused before it changed anything (Readout's
    errors are raised before any commit), False when that is not known (an unexpected failure)."""
    context = {"status": status, "title": title, "detail": detail, "unchanged": unchanged}
    return page(request, "error.html", context, status)


def install_web(app: FastAPI) -> None:
    """Add the pages and ``/static/`` to ``app``; errors on pages answer as pages."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (signin, board, escalation, actions, approvals, pick, audit_page, report_page):
        app.include_router(module.router)
    api: dict[type[Exception], Handler] = {
        kind: app.exception_handlers[kind]
        for kind in (ReadoutError, AuthProblem, HTTPException, RequestValidationError, Exception)
        if kind in app.exception_handlers
    }

    async def delegate(kind: type[Exception], request: Request, exc: Exception) -> Response:
        answer = api[kind](request, exc)
        return await answer if isinstance(answer, Awaitable) else answer

    async def readout_error(request: Request, exc: Exception) -> Response:
        if not is_page(request):
            return await delegate(ReadoutError, request, exc)
        assert isinstance(exc, ReadoutError)
        status, _, title = classify(exc)
        return _error_page(request, status, title, str(exc))

    async def auth_problem(request: Request, exc: Exception) -> Response:
        if not is_page(request):
            return await delegate(AuthProblem, request, exc)
        assert isinstance(exc, AuthProblem)
        return _error_page(request, exc.status_code, exc.title, str(exc.detail))

    async def http_error(request: Request, exc: Exception) -> Response:
        if not is_page(request):
            return await delegate(HTTPException, request, exc)
        assert isinstance(exc, HTTPException)
        title = {404: "Not found", 405: "Not possible here"}.get(exc.status_code, "Refused")
        return _error_page(request, exc.status_code, title, str(exc.detail))

    async def invalid(request: Request, exc: Exception) -> Response:
        if not is_page(request):
            return await delegate(RequestValidationError, request, exc)
        assert isinstance(exc, RequestValidationError)
        fields = ", ".join(".".join(str(p) for p in e.get("loc", ())[1:]) for e in exc.errors())
        return _error_page(request, 422, "The form is not valid", f"check: {fields or 'the form'}")

    async def unexpected(request: Request, exc: Exception) -> Response:
        if not is_page(request):
            return await delegate(Exception, request, exc)
        _log.exception("page failed: %s", request.url.path)
        detail = "the page failed; nothing more is said here"
        return _error_page(request, 500, "Internal error", detail, unchanged=False)

    app.add_exception_handler(signin.SignInRequired, signin.sign_in_redirect)
    app.add_exception_handler(ReadoutError, readout_error)
    app.add_exception_handler(AuthProblem, auth_problem)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(Exception, unexpected)
