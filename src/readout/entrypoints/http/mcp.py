"""The agent tool surface (Model Context Protocol) over streamable HTTP at ``/mcp`` (docs/agents.md).

Every request must carry ``Authorization: Bearer rdt_...``, an API token with the ``mcp`` scope: no token (or
an unknown, expired or revoked one) is 401, a token without the scope is 403, both as problem+json like the
rest of the API. Each tool call then acts as the token's user, read again from the store (an agent records
``on_behalf_of`` its person; a person may use the same tools, under their own roles), records ``via: mcp``
and names the token (``credential: token <id>``). The server is stateless and answers in JSON (no session to
keep, so any worker of ``readout serve --workers N`` answers any request); its session manager runs in the
app's lifespan.

DNS-rebinding protection (a Host/Origin allow-list the SDK turns on for servers on localhost) is off: every
request needs a bearer token, which a rebound browser page does not have, and the app may be served under
any host name.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from mcp.server.mcpserver import Context
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from readout.entrypoints.http.auth import problem_response
from readout.entrypoints.mcp import Caller, build_server, max_holds_from
from readout.entrypoints.mcp.acting import MCP_SCOPE
from readout.errors import PermissionDenied
from readout.services.context import Deps

__all__ = ["MCP_PATH", "MCP_SCOPE", "install_mcp"]

MCP_PATH = "/mcp"
_CALLER = "readout_mcp_caller"  # where the signed-in caller waits in the request's scope state


def _caller_of(ctx: Context) -> Caller:
    """The caller ``_Authenticated`` put on the HTTP request this tool call came with."""
    request = ctx.request_context.request
    state = request.scope.get("state") if isinstance(request, Request) else None
    caller = state.get(_CALLER) if isinstance(state, dict) else None
    if not isinstance(caller, Caller):
        raise PermissionDenied("this call carries no signed-in caller: send Authorization: Bearer rdt_...")
    return caller


class _Authenticated:
    """Let a request through to the MCP app only with a live API token carrying the ``mcp`` scope."""

    def __init__(self, inner: ASGIApp, deps: Deps) -> None:
        self.inner, self.deps = inner, deps

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        from readout.services.auth import token_user

        header = Request(scope).headers.get("authorization")
        scheme, _, presented = (header or "").partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            await _unauthenticated("use Authorization: Bearer with an API token that has the mcp scope")(
                scope, receive, send
            )
            return
        found = await anyio.to_thread.run_sync(token_user, self.deps, presented.strip())
        if found is None:
            await _unauthenticated("the API token is unknown, expired or revoked")(scope, receive, send)
            return
        user, token = found
        if MCP_SCOPE not in token.scopes:
            detail = f"this token does not carry the scope {MCP_SCOPE!r} the agent surface needs"
            await problem_response(403, "Missing scope", detail)(scope, receive, send)
            return
        scope.setdefault("state", {})[_CALLER] = Caller(user.id, f"token {token.id}", frozenset(token.scopes))
        await self.inner(scope, receive, send)


def _unauthenticated(detail: str) -> Any:
    return problem_response(401, "Not signed in", detail, {"WWW-Authenticate": 'Bearer realm="readout"'})


def install_mcp(app: FastAPI) -> None:
    """Mount the MCP server at ``/mcp`` on ``app`` (``app.state.deps`` is the store and services), and run
    its session manager in the app's lifespan. ConfigError when ``READOUT_AGENT_MAX_HOLDS`` is bad."""
    deps: Deps = app.state.deps
    server = build_server(deps, _caller_of, max_holds_from(os.environ))
    server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        json_response=True,
        stateless_http=True,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    manager = server.session_manager
    app.router.routes.append(Route(MCP_PATH, endpoint=_Authenticated(StreamableHTTPASGIApp(manager), deps)))
    app.router.lifespan_context = _with_sessions(app.router.lifespan_context, manager.run)


def _with_sessions(
    lifespan: Callable[[Any], AbstractAsyncContextManager[Any]],
    sessions: Callable[[], AbstractAsyncContextManager[None]],
) -> Callable[[Any], AbstractAsyncContextManager[Any]]:
    @asynccontextmanager
    async def both(app: Any) -> AsyncIterator[Any]:
        async with sessions(), lifespan(app) as state:
            yield state

    return both
