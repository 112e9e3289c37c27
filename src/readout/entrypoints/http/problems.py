"""Errors as ``application/problem+json`` (RFC 9457): the same ``readout.errors`` the CLI maps to exit codes,
mapped to the HTTP status that means the same thing.

=====================================  ======  =========================================================
error                                  status  meaning
=====================================  ======  =========================================================
CaseFileError, CalendarError           422     the document (or a calendar it names) is invalid; nothing
                                               stored; ``field`` is the case file's field path
PermissionDenied                       403     the signed-in user's roles do not allow it
NotFound                               404     no such escalation (or open request, or near miss)
IllegalTransition, Conflict, Refused   409     a rule refuses it in the escalation's current state
(If-Match stale)                       412     the escalation changed since the client read it
StoreUnavailable, ConfigError          503     the store or the settings cannot be used; nothing changed
=====================================  ======  =========================================================
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from readout.config import ConfigError
from readout.domain.lifecycle import IllegalTransition
from readout.errors import (
    CalendarError,
    CaseFileError,
    Conflict,
    NotFound,
    PermissionDenied,
    ReadoutError,
    Refused,
    SourceUnavailable,
    StoreUnavailable,
)

__all__ = ["PROBLEM_JSON", "Problem", "classify", "install", "problem", "problem_for"]

PROBLEM_JSON = "application/problem+json"
_TYPES = "https://readout.example/problems/"  # documented in docs/api.md, one anchor per type

# (error type, status, problem type, title): the first that matches wins, so subclasses come first.
_MAPPING: tuple[tuple[type[ReadoutError], int, str, str], ...] = (
    (CaseFileError, 422, "invalid-case-document", "The case document is not valid"),
    (CalendarError, 422, "invalid-calendar", "A calendar the case names cannot be read"),
    (PermissionDenied, 403, "forbidden", "Your roles do not allow this"),
    (NotFound, 404, "not-found", "Not found"),
    (IllegalTransition, 409, "illegal-transition", "Not possible in the escalation's current state"),
    (Conflict, 409, "conflict", "Changed by someone else at the same time; read again and retry"),
    (Refused, 409, "refused", "Refused by a rule"),
    (StoreUnavailable, 503, "store-unavailable", "The store is unavailable; nothing was changed"),
    (ConfigError, 503, "misconfigured", "The service's settings cannot be used"),
    (SourceUnavailable, 503, "source-unavailable", "A calendar source is unavailable"),
)


class Problem(Exception):
    """Raised by the HTTP edge itself (a stale If-Match, a reused Idempotency-Key, a body too large)."""

    def __init__(self, status: int, kind: str, title: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.kind, self.title, self.detail, self.extra = status, kind, title, detail, extra


def problem(
    status: int, kind: str, title: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """A problem+json response; ``kind`` becomes the ``type`` URI (``about:blank`` when empty)."""
    body = {"type": f"{_TYPES}{kind}" if kind else "about:blank", "title": title, "status": status}
    body |= {"detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def classify(error: ReadoutError) -> tuple[int, str, str]:
    """The HTTP status, problem type and title of a Readout error (the web app's pages use them too)."""
    return next(
        ((s, n, t) for kind, s, n, t in _MAPPING if isinstance(error, kind)),
        (400, "bad-request", "Bad request"),
    )


def problem_for(error: ReadoutError) -> JSONResponse:
    """The problem response for a Readout error (the same mapping for every route)."""
    status, name, title = classify(error)
    extra: dict[str, Any] = {}
    if isinstance(error, CaseFileError):
        extra = {"field": error.field, "expected": error.expected}
    if isinstance(error, IllegalTransition):
        extra = {"state": error.state.value}
    headers = {"Retry-After": "5"} if status == 503 else None
    return problem(status, name, title, str(error), headers, **extra)


def _validation_errors(error: RequestValidationError) -> list[dict[str, str]]:
    """Pydantic's errors as field paths (``body.slot``, ``query.state``) and what was expected."""
    out = []
    for item in error.errors():
        path = ".".join(str(part) for part in item.get("loc", ()))
        out.append({"field": path, "expected": str(item.get("msg", "a valid value"))})
    return out


def install(app: FastAPI) -> None:
    """Answer every error with problem+json (FastAPI's own 422 and 404 included); never a traceback."""

    async def readout_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ReadoutError)
        return problem_for(exc)

    async def edge_problem(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return problem(exc.status, exc.kind, exc.title, exc.detail, **exc.extra)

    async def invalid_request(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = _validation_errors(exc)
        first = errors[0] if errors else {"field": "", "expected": "a valid request"}
        detail = f"{first['field']}: {first['expected']}" if first["field"] else first["expected"]
        return problem(422, "invalid-request", "The request is not valid", detail, errors=errors)

    async def http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        headers = dict(exc.headers) if exc.headers else None
        title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "Request refused")
        return problem(exc.status_code, "", title, str(exc.detail), headers)

    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        # Nothing of the exception goes out: it may carry a path, a URL or a calendar's content.
        return problem(
            500, "internal-error", "Internal error", "the service failed; nothing more is said here"
        )

    app.add_exception_handler(ReadoutError, readout_error)
    app.add_exception_handler(Problem, edge_problem)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
