"""Verifying the interaction requests Slack sends (Slack's "Verifying requests from Slack", signature v0).

A request is taken only when ``X-Slack-Signature`` is ``v0=`` and the hex HMAC-SHA256, keyed with the signing
secret, of ``v0:{X-Slack-Request-Timestamp}:{raw body}``; its timestamp is within five minutes of the wall
clock (either way); and that signature was not seen before (a replay). Signatures are remembered for as long
as their timestamp would be accepted (a little longer): ``SqlReplayGuard`` in the store's
``slack_requests`` table (revision 0009), shared by every process serving the store, or ``MemoryReplayGuard``
in this process only (a store that is not SQL, and tests).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Engine, delete, insert
from sqlalchemy.exc import DBAPIError, IntegrityError

from readout.adapters.sql.engine import BUSY_TIMEOUT_SECONDS, writer_lock
from readout.adapters.sql.failures import store_failure
from readout.adapters.sql.tables import slack_requests
from readout.errors import ReadoutError

__all__ = [
    "MAX_SKEW",
    "BadSignature",
    "MemoryReplayGuard",
    "ReplayGuard",
    "SqlReplayGuard",
    "sign",
    "verify_request",
]

MAX_SKEW = timedelta(minutes=5)
_REMEMBERED = MAX_SKEW * 2 + timedelta(minutes=1)  # longer than any accepted timestamp stays accepted
_SIGNATURE, _TIMESTAMP = "x-slack-signature", "x-slack-request-timestamp"


class BadSignature(ReadoutError):
    """The request is not from Slack, or not now, or was seen before: nothing is done (answered 401)."""


class ReplayGuard(Protocol):
    """Remembers the signatures of requests taken."""

    def first_time(self, signature: str, now: datetime) -> bool:
        """Remember ``signature`` (seen at ``now``); False when it was seen before."""
        ...


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The v0 signature of ``body`` sent at ``timestamp`` (seconds since the epoch, as text)."""
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    return "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()


def verify_request(
    secret: str, headers: Mapping[str, str], body: bytes, now: datetime, replays: ReplayGuard
) -> None:
    """Take the request or raise ``BadSignature`` saying why (``headers`` as sent, any case)."""
    lower = {k.lower(): v for k, v in headers.items()}
    signature, stamp = lower.get(_SIGNATURE, ""), lower.get(_TIMESTAMP, "").strip()
    if not signature or not stamp:
        raise BadSignature("not signed: X-Slack-Signature and X-Slack-Request-Timestamp are required")
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        raise BadSignature("X-Slack-Request-Timestamp is not a time in seconds")
    if abs(now.timestamp() - int(stamp)) > MAX_SKEW.total_seconds():
        raise BadSignature("the request's timestamp is more than 5 minutes from now (stale or replayed)")
    expected = sign(secret, stamp, body)
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace")):
        raise BadSignature("the signature does not match the signing secret")
    if not replays.first_time(expected, now):
        raise BadSignature("this request was received before (a replay)")


class MemoryReplayGuard:
    """Signatures seen by this process (each forgotten once its timestamp could no longer be accepted)."""

    def __init__(self) -> None:
        self._seen: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def first_time(self, signature: str, now: datetime) -> bool:
        with self._lock:
            self._seen = {s: at for s, at in self._seen.items() if at > now - _REMEMBERED}
            if signature in self._seen:
                return False
            self._seen[signature] = now
            return True


class SqlReplayGuard:
    """Signatures seen by any process serving the store: one row each (the signature is the key)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def first_time(self, signature: str, now: datetime) -> bool:
        """One short transaction (after this process's other SQLite writers); ``StoreUnavailable`` when the
        store cannot be written: the request is then not taken (Slack is answered 503)."""
        lock = writer_lock(self._engine)
        queued = lock is not None and lock.acquire(timeout=BUSY_TIMEOUT_SECONDS)
        try:
            with self._engine.begin() as connection:
                connection.execute(delete(slack_requests).where(slack_requests.c.seen_at < now - _REMEMBERED))
                connection.execute(insert(slack_requests).values(signature=signature, seen_at=now))
        except IntegrityError:
            return False
        except DBAPIError as error:
            raise store_failure(error, self._engine.url) from None
        finally:
            if queued and lock is not None:
                lock.release()
        return True
