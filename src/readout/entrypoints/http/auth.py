"""Sign-in over HTTP: who is asking (``principal``), what they may do (``require_scope``), and the session
routes (``auth_router``).

How the app wires it (see docs/auth.md):

* ``app.state.deps`` is the ``readout.services.context.Deps`` the routes use (store and clock);
  ``app.state.auth_settings`` may hold an ``AuthSettings`` (default: ``AuthSettings.from_environ``).
* ``install_auth(app)`` registers the handler that answers ``AuthProblem`` (401, 403, 429) as
  ``application/problem+json``; ``app.include_router(auth_router)`` adds ``/v1/session``.
* A route depends on ``principal`` (any signed-in user or token) or on ``require_scope("write")``.

A request is authenticated by ``Authorization: Bearer rdt_...`` (an API token; a bad one is 401, never a
fall-back to the cookie) or else by the session cookie. Cookie-authenticated unsafe methods (POST, PUT,
PATCH, DELETE) must come from the page's own origin (CSRF): ``Sec-Fetch-Site`` ``same-origin`` or ``none``,
else, when the browser sent no Fetch-Metadata, an ``Origin`` equal to the request's own; token requests
carry no ambient credential and are not checked.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from readout.domain.audit import CREDENTIAL
from readout.domain.auth import SESSION_ABSOLUTE, SESSION_IDLE
from readout.domain.users import User

if TYPE_CHECKING:
    from argon2 import PasswordHasher

    from readout.services.auth import SessionPolicy
    from readout.services.context import Deps

__all__ = [
    "AuthProblem",
    "AuthSettings",
    "Principal",
    "auth_router",
    "auth_settings",
    "cookie_name",
    "install_auth",
    "own_origin",
    "principal",
    "problem_response",
    "request_deps",
    "require_scope",
]

PROBLEM_JSON = "application/problem+json"
_FLAGS: dict[str, bool | None] = {
    "": None,
    "1": True,
    "true": True,
    "yes": True,
    "0": False,
    "false": False,
    "no": False,
}
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
HTTPS_COOKIE = "__Host-readout_session"  # __Host-: Secure, Path=/, no Domain; only ever set over HTTPS
HTTP_COOKIE = "readout_session"  # plain http://localhost for local use (the __Host- prefix needs HTTPS)


@dataclass(frozen=True)
class Principal:
    """Who a request acts for: the user, how they proved it, and what the credential may be used for."""

    user: User
    via: str  # "session" | "token"
    scopes: frozenset[str]
    credential_id: str | None  # the token's id; for a session, the first 12 characters of its digest


@dataclass(frozen=True)
class AuthSettings:
    """How the HTTP layer signs people in.

    ``https``: True serves the ``__Host-`` cookie whatever the request's scheme (behind a TLS-terminating
    proxy that forwards plain HTTP); None decides per request from ``request.url.scheme``.
    ``public_origin``: the origin browsers see (``https://readout.example``) when it differs from the one the
    request arrives on (a proxy); the CSRF ``Origin`` check compares with it.
    """

    https: bool | None = None
    public_origin: str | None = None
    session_idle_seconds: int = int(SESSION_IDLE.total_seconds())
    session_absolute_seconds: int = int(SESSION_ABSOLUTE.total_seconds())
    password_hasher: PasswordHasher | None = None  # argon2-cffi's defaults when None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> AuthSettings:
        """``READOUT_HTTPS`` (``1``/``true``/``yes``: always the ``__Host-`` cookie; ``0``/``false``/``no``:
        never; unset: per request) and ``READOUT_PUBLIC_ORIGIN`` (``https://host[:port]``); Refused on a
        value that is neither."""
        from readout.errors import Refused

        flag = environ.get("READOUT_HTTPS", "").strip().lower()
        if flag not in _FLAGS:
            raise Refused(f"READOUT_HTTPS={flag!r}: write 1 or 0 (or leave it unset: decided per request)")
        origin = environ.get("READOUT_PUBLIC_ORIGIN", "").strip() or None
        if origin is not None:
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
                raise Refused(
                    f"READOUT_PUBLIC_ORIGIN={origin!r}: write the origin browsers see, as https://host[:port]"
                )
            if parts.query or parts.fragment or "@" in parts.netloc:
                raise Refused(f"READOUT_PUBLIC_ORIGIN={origin!r}: only scheme, host and port")
            origin = f"{parts.scheme}://{parts.netloc}".lower()
        return cls(https=_FLAGS[flag], public_origin=origin)

    def policy(self) -> SessionPolicy:
        """The session lifetimes and password hasher, as the service takes them."""
        from readout.services.auth import SessionPolicy

        return SessionPolicy(
            timedelta(seconds=self.session_idle_seconds),
            timedelta(seconds=self.session_absolute_seconds),
            self.password_hasher,
        )


class AuthProblem(HTTPException):
    """An authentication or authorisation failure, answered as problem+json (``install_auth``)."""

    def __init__(self, status: int, title: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status_code=status, detail=detail, headers=headers)
        self.title = title


def problem_response(
    status: int, title: str, detail: str, headers: Mapping[str, str] | None = None
) -> Response:
    """An RFC 9457 problem document."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


async def _auth_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AuthProblem)
    return problem_response(exc.status_code, exc.title, str(exc.detail), exc.headers)


def install_auth(app: FastAPI) -> None:
    """Answer ``AuthProblem`` as problem+json on ``app`` (its 401s carry ``WWW-Authenticate``)."""
    app.add_exception_handler(AuthProblem, _auth_problem)


def request_deps(request: Request) -> Deps:
    deps: Deps | None = getattr(request.app.state, "deps", None)
    if deps is None:
        raise RuntimeError("app.state.deps is not set: the app must give the routes their Deps")
    return deps


def auth_settings(request: Request) -> AuthSettings:
    """The app's settings; when it was given none, the environment's (read once), or the defaults when a
    value there is bad (the app should call ``AuthSettings.from_environ`` at start-up to refuse it)."""
    found = getattr(request.app.state, "auth_settings", None)
    if isinstance(found, AuthSettings):
        return found
    from readout.errors import Refused

    try:
        found = AuthSettings.from_environ(os.environ)
    except Refused:
        found = AuthSettings()
    request.app.state.auth_settings = found
    return found


def _https(request: Request) -> bool:
    forced = auth_settings(request).https
    return forced if forced is not None else request.url.scheme == "https"


def cookie_name(request: Request) -> str:
    """The session cookie's name for this request: ``__Host-readout_session`` over HTTPS."""
    return HTTPS_COOKIE if _https(request) else HTTP_COOKIE


def _unauthenticated(detail: str) -> AuthProblem:
    return AuthProblem(401, "Not signed in", detail, {"WWW-Authenticate": 'Bearer realm="readout"'})


def own_origin(request: Request) -> str:
    configured = auth_settings(request).public_origin
    if configured:
        return configured.rstrip("/")
    return f"{request.url.scheme}://{request.url.netloc}"


def check_same_origin(request: Request) -> None:
    """Refuse (403) an unsafe request a browser sent from another site (CSRF)."""
    if request.method not in UNSAFE_METHODS:
        return
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        if site.strip().lower() in ("same-origin", "none"):
            return
        raise AuthProblem(
            403,
            "Cross-site request refused",
            f"a {site.strip()[:40]!r} request (Sec-Fetch-Site) may not change anything with this session",
        )
    origin = request.headers.get("origin")
    if origin is None or origin.rstrip("/") == own_origin(request):
        return  # no Fetch-Metadata and no Origin: not a browser's cross-site form or fetch
    raise AuthProblem(403, "Cross-site request refused", "the request's Origin is not this site")


def principal(request: Request) -> Principal:
    """The signed-in user of the request; 401 when there is none, 403 on a refused cross-site request."""
    from readout.services import auth

    deps, settings = request_deps(request), auth_settings(request)
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, presented = header.partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            raise _unauthenticated("use Authorization: Bearer with an API token")
        found = auth.token_user(deps, presented.strip())
        if found is None:
            raise _unauthenticated("the API token is unknown, expired or revoked")
        user, token = found
        return _named(Principal(user, "token", token.scopes, token.id))
    cookie = request.cookies.get(cookie_name(request))
    if not cookie:
        raise _unauthenticated("sign in (POST /v1/session) or send an API token")
    check_same_origin(request)
    session = auth.session_user(deps, cookie, settings.policy())
    if session is None:
        raise _unauthenticated("the session has ended (signed out, revoked or expired): sign in again")
    user, live = session
    return _named(Principal(user, "session", auth.SESSION_SCOPES, live.id[:12]))


def _named(who: Principal) -> Principal:
    """``who``, with its credential named in what this request records (domain/audit.py ``CREDENTIAL``)."""
    credential = CREDENTIAL.get()
    if credential is not None:
        credential.name = f"{who.via} {who.credential_id}"
    return who


def require_scope(scope: str) -> Callable[..., Principal]:
    """A dependency: the principal, if its credential carries ``scope`` (else 403)."""

    def scoped(who: Principal = Depends(principal)) -> Principal:  # noqa: B008 (FastAPI's idiom)
        if scope not in who.scopes:
            raise AuthProblem(
                403, "Missing scope", f"this {who.via} does not carry the scope {scope!r} this request needs"
            )
        return who

    return scoped


class SignIn(BaseModel):
    """``POST /v1/session``'s body."""

    user: str
    password: str


auth_router = APIRouter(tags=["session"])


def _who(who: Principal, expires_at: datetime | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "user": {
            "id": who.user.id,
            "name": who.user.name,
            "email": who.user.email,
            "roles": sorted(r.value for r in who.user.roles),
        },
        "via": who.via,
        "scopes": sorted(who.scopes),
    }
    if expires_at is not None:
        view["expires_at"] = expires_at.isoformat().replace("+00:00", "Z")
    return view


@auth_router.post("/v1/session", summary="Sign in with a password (sets the session cookie)")
def sign_in(body: SignIn, request: Request, response: Response) -> dict[str, Any]:
    """Check the password and start a session; a session cookie already sent is ended (rotated)."""
    from readout.services import auth

    check_same_origin(request)  # login CSRF: no other site may sign a browser in
    settings = auth_settings(request)
    address = request.client.host if request.client else "unknown"
    try:
        done = auth.sign_in(
            request_deps(request),
            body.user,
            body.password,
            address,
            replacing=request.cookies.get(cookie_name(request)),
            policy=settings.policy(),
        )
    except auth.TooManyAttempts as error:
        raise AuthProblem(
            429, "Too many failed sign-ins", str(error), {"Retry-After": str(error.retry_after)}
        ) from None
    except auth.SignInFailed:
        raise _unauthenticated("wrong user or password") from None
    response.set_cookie(
        cookie_name(request),
        done.token,
        max_age=settings.session_absolute_seconds,
        path="/",
        secure=True,  # browsers accept Secure cookies from http://localhost too (docs/auth.md)
        httponly=True,
        samesite="lax",
    )
    response.headers["Cache-Control"] = "no-store"
    return _who(
        Principal(done.user, "session", auth.SESSION_SCOPES, done.session.id[:12]), done.session.expires_at
    )


@auth_router.get("/v1/session", summary="Who am I")
def who_am_i(who: Principal = Depends(principal)) -> dict[str, Any]:  # noqa: B008
    """The signed-in user, how they signed in, and the scopes of the credential."""
    return _who(who)


@auth_router.delete("/v1/session", status_code=204, summary="Sign out (ends this session)")
def sign_out(request: Request, who: Principal = Depends(principal)) -> Response:  # noqa: B008
    """End the session of the cookie and clear the cookie."""
    from readout.services import auth

    if who.via != "session":
        raise AuthProblem(
            400, "Not a session", "this request used an API token: revoke it with `readout tokens revoke ID`"
        )
    auth.sign_out(request_deps(request), request.cookies.get(cookie_name(request), ""))
    response = Response(status_code=204)
    response.delete_cookie(cookie_name(request), path="/", secure=True, httponly=True, samesite="lax")
    return response
