"""``Idempotency-Key`` on POSTs that have an effect: the same key from the same principal with the same
request replays the stored response instead of acting again (a retried hold or confirmation acts once).

The key is reserved in the store (``uow.idempotency``) before the command runs: a row marked in progress,
with the request's digest, inserted and committed in its own transaction, so the store's unique (principal,
key) lets one request in and every other process sees it. The command then runs (its own transactions and
calendar or mail calls, none inside the reservation's), and the row is completed with its answer, which every
process behind a load balancer replays. The same key with another method, path or body is refused (422).

Only answers the command gave are stored (success, and a confirmation refused by its checks, which changed
the escalation); when it raised instead (403, 404, 409, 412, 422, 503, a fault), the reservation is removed
so the request may be retried with the same key once the cause is gone. A second request with the key while
the first runs waits up to ``WAIT`` for its answer and replays it, else answers 409
``idempotency-key-in-progress`` with ``Retry-After``. A reservation older than ``RESERVATION_TTL`` (its
process died, or hangs) is taken over by the next request with the key, which then runs the command itself.
Answers are kept ``KEPT_FOR`` (24 hours, as Stripe keeps them): each new reservation forgets older keys.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse

from readout.entrypoints.http.auth import Principal, require_scope
from readout.entrypoints.http.problems import PROBLEM_JSON, Problem, problem
from readout.services.context import Deps
from readout.services.ports import StoredResponse

__all__ = [
    "KEPT_FOR",
    "REPLAYED",
    "RESERVATION_TTL",
    "RETRY_AFTER_SECONDS",
    "WAIT",
    "Attempt",
    "Outcome",
    "attempt",
    "once",
]

REPLAYED = "Idempotent-Replayed"  # response header: "true" on a replayed response
RESERVATION_TTL = timedelta(minutes=5)  # a reservation older than this is taken over by the next request
KEPT_FOR = timedelta(hours=24)  # a stored answer is replayed for this long, then forgotten
WAIT = timedelta(seconds=1)  # how long a second request waits for the first's answer before its 409
RETRY_AFTER_SECONDS = 2
_POLL_SECONDS = 0.05
_KEY = r"^[\x21-\x7e]+$"  # visible ASCII, as the draft standard's examples use

_log = logging.getLogger(__name__)

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


def _same_request(stored: StoredResponse, tried: Attempt) -> None:
    """Refuse (422) a key already used for another method, path or body."""
    if (stored.method, stored.path, stored.request_digest) != (tried.method, tried.path, tried.digest):
        raise Problem(
            422,
            "idempotency-key-reused",
            "Idempotency-Key already used for another request",
            f"the key {tried.key!r} was used for {stored.method} {stored.path} with another body; "
            "use a new key for a new request",
        )


def _replay(stored: StoredResponse, tried: Attempt) -> JSONResponse:
    _same_request(stored, tried)
    replay = Outcome(stored.status, stored.body, {REPLAYED: "true"})
    return replay.response()


def _in_progress(tried: Attempt) -> JSONResponse:
    return problem(
        409,
        "idempotency-key-in-progress",
        "Request in progress",
        f"a request with this Idempotency-Key ({tried.key!r}) is in progress; retry",
        {"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _reserve(deps: Deps, reservation: StoredResponse) -> StoredResponse | None:
    """Reserve the key (one transaction of its own); None when reserved, else what holds the key now
    (a reservation of another request, or a stored answer)."""
    while True:
        with deps.uow() as uow:
            if uow.idempotency.put(reservation):
                uow.idempotency.prune(reservation.created_at - KEPT_FOR)
                uow.commit()
                return None
            found = uow.idempotency.get(reservation.principal_id, reservation.key)
            if found is None:  # removed between the two: try again
                continue
            if found.in_progress and found.created_at + RESERVATION_TTL <= reservation.created_at:
                if uow.idempotency.take_over(found, reservation):
                    uow.commit()
                    _log.warning("took over an expired Idempotency-Key reservation from %s", found.created_at)
                    return None
                continue  # taken over, completed or removed by another request first: look again
            return found


def _wait(deps: Deps, tried: Attempt) -> tuple[bool, StoredResponse | None]:
    """Poll (reads only) until the request holding the key is done, up to ``WAIT``: (True, its answer), or
    (True, None) when it failed and gave the key up, or (False, None) when it still runs."""
    deadline = time.monotonic() + WAIT.total_seconds()
    while time.monotonic() < deadline:
        time.sleep(_POLL_SECONDS)
        with deps.look() as uow:
            found = uow.idempotency.get(tried.user_id, tried.key or "")
        if found is None or not found.in_progress:
            return True, found
    return False, None


def _release(deps: Deps, reservation: StoredResponse) -> None:
    """Remove the reservation of a command that raised; when the store refuses, it expires instead."""
    try:
        with deps.uow() as uow:
            uow.idempotency.remove(reservation)
            uow.commit()
    except Exception:  # the command's own error is the one to report
        _log.warning("could not remove an Idempotency-Key reservation; it expires after %s", RESERVATION_TTL)


def once(deps: Deps, tried: Attempt, act: Callable[[], Outcome]) -> JSONResponse:
    """Run ``act`` unless this key was answered before (then replay that answer) or is being answered by
    another request (then wait briefly for its answer, else 409 with ``Retry-After``); store what it
    answered."""
    if tried.key is None:
        return act().response()
    reservation = StoredResponse(
        tried.user_id,
        tried.key,
        tried.method,
        tried.path,
        tried.digest,
        StoredResponse.IN_PROGRESS,
        {},
        deps.wall(),  # the real clock even under --now: a reservation expires in real time
    )
    holder = _reserve(deps, reservation)
    if holder is not None and holder.in_progress:
        _same_request(holder, tried)
        settled, holder = _wait(deps, tried)
        if not settled:
            return _in_progress(tried)
        if holder is None:  # the other request failed and gave the key up: this one runs the command
            reservation = replace(reservation, created_at=deps.wall())
            holder = _reserve(deps, reservation)
            if holder is not None and holder.in_progress:
                return _in_progress(tried)
    if holder is not None:
        return _replay(holder, tried)
    try:
        outcome = act()
    except BaseException:
        _release(deps, reservation)
        raise
    with deps.uow() as uow:
        uow.idempotency.complete(replace(reservation, status=outcome.status, body=outcome.body))
        uow.commit()
    return outcome.response()
