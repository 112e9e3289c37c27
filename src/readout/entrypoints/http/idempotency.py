"""``Idempotency-Key`` on POSTs that have an effect: the same key from the same principal with the same
request replays the stored response instead of acting again (a retried hold or confirmation acts once).

The response is stored in the store (``uow.idempotency``) after the command ran, so every process behind a
load balancer replays it. The same key with another method, path or body is refused (422). Only responses
the command gave are stored (success, and a confirmation refused by its checks, which changed the
escalation); an error that changed nothing (403, 404, 409, 412, 422) is not, so the request may be retried
with the same key once the cause is gone. Two requests with the same key at the very same moment both run;
the use cases' own guards (one live hold per slot, the lifecycle, the packet digest) keep the second from
doing the effect twice, and the second gets the first's stored response.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse

from readout.entrypoints.http.auth import Principal, require_scope
from readout.entrypoints.http.problems import PROBLEM_JSON, Problem
from readout.services.context import Deps
from readout.services.ports import StoredResponse

__all__ = ["REPLAYED", "Attempt", "Outcome", "attempt", "once"]

REPLAYED = "Idempotent-Replayed"  # response header: "true" on a replayed response
_KEY = r"^[\x21-\x7e]+$"  # visible ASCII, as the draft standard's examples use

write = require_scope("write")


@dataclass(frozen=True)
class Outcome:
    """What a command answered: status, JSON body and headers (``Location``, ``ETag``)."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    def response(self) -> JSONResponse:
        media = PROBLEM_JSON if self.status >= 400 else "application/json"
        return JSONResponse(self.body, self.status, headers=self.headers, media_type=media)


@dataclass(frozen=True)
class Attempt:
    """One unsafe request: who sends it, its key (None: no replay) and what identifies the request."""

    who: Principal
    key: str | None
    method: str
    path: str
    digest: str

    @property
    def user_id(self) -> str:
        return self.who.user.id


def _digest(method: str, path: str, body: bytes) -> str:
    """SHA-256 over the method, path and body (JSON compared as data: spacing and key order do not count)."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, RecursionError):
        canonical = body
    return hashlib.sha256(f"{method} {path}\n".encode() + canonical).hexdigest()


async def attempt(
    request: Request,
    who: Principal = Depends(write),  # noqa: B008 (FastAPI's idiom)
    key: str | None = Header(
        None,
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=_KEY,
        description="a unique key per intended action (e.g. a UUID): a retry with it replays the response",
    ),
) -> Attempt:
    """The request as an ``Attempt`` (a dependency of every POST with an effect); a key that is not 1 to 255
    visible ASCII characters is a 422 problem."""
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    body = await request.body()
    return Attempt(who, key, request.method, path, _digest(request.method, path, body))


def _replay(stored: StoredResponse, tried: Attempt) -> JSONResponse:
    if (stored.method, stored.path, stored.request_digest) != (tried.method, tried.path, tried.digest):
        raise Problem(
            422,
            "idempotency-key-reused",
            "Idempotency-Key already used for another request",
            f"the key {tried.key!r} was used for {stored.method} {stored.path} with another body; "
            "use a new key for a new request",
        )
    replay = Outcome(stored.status, stored.body, {REPLAYED: "true"})
    return replay.response()


def once(deps: Deps, tried: Attempt, act: Callable[[], Outcome]) -> JSONResponse:
    """Run ``act`` unless this key was answered before (then replay that answer); store what it answered."""
    if tried.key is None:
        return act().response()
    with deps.look() as uow:
        stored = uow.idempotency.get(tried.user_id, tried.key)
    if stored is not None:
        return _replay(stored, tried)
    outcome = act()
    record = StoredResponse(
        tried.user_id,
        tried.key,
        tried.method,
        tried.path,
        tried.digest,
        outcome.status,
        outcome.body,
        deps.clock(),
    )
    with deps.uow() as uow:
        kept = uow.idempotency.put(record)
        uow.commit()
    if not kept:  # another request with this key finished first: answer as it did
        with deps.look() as uow:
            first = uow.idempotency.get(tried.user_id, tried.key)
        if first is not None:
            return _replay(first, tried)
    return outcome.response()
