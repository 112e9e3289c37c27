"""Signing in to the web app: the form, the session cookie the API uses, and the way back to the page asked
for (a deep link opened before signing in returns to it).

Pages depend on ``viewer``: the signed-in principal (a session cookie, or an API token), else a redirect to
``/sign-in?next=<the page>``. The sign-in itself is the API's (``services.auth.sign_in``: argon2id, the
throttle, rotation); the form only carries it. Unsafe requests with a cookie pass the same CSRF check as the
API (Fetch-Metadata, else Origin).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from readout.entrypoints.http.auth import (
    AuthProblem,
    Principal,
    auth_settings,
    check_same_origin,
    cookie_name,
    principal,
    request_deps,
)
from readout.entrypoints.web.templating import page

__all__ = ["SignInRequired", "router", "safe_next", "viewer"]

router = APIRouter(include_in_schema=False)


class SignInRequired(Exception):
    """Raised by ``viewer`` for a request without a live session: answered by a redirect to the form."""

    def __init__(self, back_to: str) -> None:
        super().__init__(back_to)
        self.back_to = back_to


def safe_next(target: str | None) -> str:
    """``target`` when it is a path on this site (``/x``, never ``//host`` or a URL), else ``/``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


def viewer(request: Request) -> Principal:
    """The signed-in principal of a page request; ``SignInRequired`` (a redirect) when there is none."""
    try:
        who = principal(request)
    except AuthProblem as problem:
        if problem.status_code == 401:
            wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise SignInRequired(wanted) from None
        raise
    request.state.viewer = who
    return who


Viewer = Annotated[Principal, Depends(viewer)]


def sign_in_redirect(request: Request, exc: Exception) -> Response:
    """The answer to ``SignInRequired``: to the form, remembering the page (htmx follows ``HX-Redirect``)."""
    assert isinstance(exc, SignInRequired)
    target = f"/sign-in?next={quote(safe_next(exc.back_to), safe='/')}"
    if request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request, next: str = "/") -> HTMLResponse:
    """The form: "Username", "Password", "Sign in"."""
    return page(request, "signin.html", {"next": safe_next(next), "error": None, "user": ""})


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(
    request: Request,
    user: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check the password (the API's sign-in), set the session cookie, and go back to the page asked for."""
    from readout.services import auth

    target = safe_next(next)
    try:
        check_same_origin(request)  # no other site may sign a browser in
    except AuthProblem as refused:
        return page(request, "signin.html", {"next": target, "error": refused.detail, "user": ""}, 403)
    settings = auth_settings(request)
    address = request.client.host if request.client else "unknown"
    try:
        done = auth.sign_in(
            request_deps(request),
            user,
            password,
            address,
            replacing=request.cookies.get(cookie_name(request)),
            policy=settings.policy(),
        )
    except auth.TooManyAttempts as error:
        context = {"next": target, "error": f"Too many failed sign-ins: {error}", "user": user}
        answer = page(request, "signin.html", context, 429)
        answer.headers["Retry-After"] = str(error.retry_after)
        return answer
    except auth.SignInFailed:
        context = {"next": target, "error": "Wrong username or password.", "user": user}
        return page(request, "signin.html", context, 401)
    moved = RedirectResponse(target, status_code=303)
    moved.set_cookie(
        cookie_name(request),
        done.token,
        max_age=settings.session_absolute_seconds,
        path="/",
        secure=True,
        httponly=True,
        samesite="lax",
    )
    moved.headers["Cache-Control"] = "no-store"
    return moved


@router.post("/sign-out")
def sign_out(request: Request, who: Viewer) -> Response:
    """End this browser's session and go to the form."""
    from readout.services import auth

    if who.via == "session":
        auth.sign_out(request_deps(request), request.cookies.get(cookie_name(request), ""))
    answer = RedirectResponse("/sign-in", status_code=303)
    answer.delete_cookie(cookie_name(request), path="/", secure=True, httponly=True, samesite="lax")
    return answer
