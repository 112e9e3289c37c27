"""Credentials: password records, sign-in sessions, API tokens, and the rules for sign-in failures.

Pure data and arithmetic: hashing passwords (argon2) and drawing random secrets happen in the service; this
module only says what a credential is, when it is good, and how long a key must wait after failures.
Only digests of secrets are ever kept here: a session is known by the SHA-256 of its cookie's token, an API
token by its id and the SHA-256 of its secret, a password by its argon2id hash.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

__all__ = [
    "ADDRESS_FREE_FAILURES",
    "FAILURE_MEMORY",
    "MAX_WAIT",
    "SCOPES",
    "SESSION_ABSOLUTE",
    "SESSION_IDLE",
    "SESSION_SCOPES",
    "TOKEN_PREFIX",
    "USER_FREE_FAILURES",
    "ApiToken",
    "PasswordRecord",
    "Session",
    "digest",
    "parse_token",
    "same_digest",
    "token_text",
    "wait_after",
]

# What a credential may be used for. Scopes narrow what a token may do; roles still decide who may do it.
SCOPES = {
    "read": "read escalations, plans, holds, the audit trail (GET)",
    "write": "change things: open, plan, hold, decide, confirm, cancel (POST, PUT, PATCH, DELETE)",
    "mcp": "use the agent (MCP) surface",
}
SESSION_SCOPES = frozenset({"read", "write"})  # a person signed in with a password, in the browser

SESSION_IDLE = timedelta(hours=2)  # a session unused this long ends
SESSION_ABSOLUTE = timedelta(hours=12)  # and every session ends this long after sign-in, used or not

# Sign-in failures, counted per user id and per client address in the store (shared by every process).
# The first few failures of a key cost nothing; after that each one makes the key wait twice as long as the
# one before (1 s, 2 s, 4 s, ... at most MAX_WAIT) before the next attempt is even checked. A key's failures
# are forgotten FAILURE_MEMORY after its last one; a successful sign-in forgets the user's (not the
# address's: one valid account must not reset the counter of an address guessing at others).
USER_FREE_FAILURES = 3
ADDRESS_FREE_FAILURES = 10
MAX_WAIT = timedelta(minutes=15)
FAILURE_MEMORY = timedelta(hours=1)

TOKEN_PREFIX = "rdt_"
_TOKEN = re.compile(r"rdt_([0-9a-f]{12})_([A-Za-z0-9_-]{20,128})")


def digest(secret: str) -> str:
    """SHA-256 (hex) of a high-entropy secret: what the store keeps instead of it."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def same_digest(secret: str, stored: str) -> bool:
    """Whether ``secret`` hashes to ``stored``, compared in constant time."""
    return hmac.compare_digest(digest(secret), stored)


def token_text(token_id: str, secret: str) -> str:
    """The API token as given to its holder once: ``rdt_`` + id + ``_`` + secret."""
    return f"{TOKEN_PREFIX}{token_id}_{secret}"


def parse_token(text: str) -> tuple[str, str] | None:
    """(id, secret) of a presented API token, or None when it is not one."""
    found = _TOKEN.fullmatch(text.strip())
    return (found.group(1), found.group(2)) if found else None


def wait_after(failures: int, free: int) -> timedelta:
    """How long a key must wait after its ``failures``-th failure before the next attempt is checked."""
    if failures <= free:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - free - 1, 20)), MAX_WAIT)


@dataclass(frozen=True)
class PasswordRecord:
    """A local account's password: its argon2id hash (PHC string), when and by whom it was set."""

    user_id: str
    hash: str
    set_at: datetime
    set_by: str


@dataclass(frozen=True)
class Session:
    """A sign-in session. ``id`` is the SHA-256 of the cookie's token; the token itself is never kept."""

    id: str
    user_id: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime  # the absolute end, fixed at sign-in
    revoked_at: datetime | None = None
    revoked_by: str | None = None

    def live(self, now: datetime, idle: timedelta = SESSION_IDLE) -> bool:
        """Not revoked, not past its absolute end, and used within ``idle``."""
        return self.revoked_at is None and now < self.expires_at and now < self.last_seen_at + idle

    def revoked(self, at: datetime, by: str) -> Session:
        """The session ended at ``at`` by ``by``."""
        return replace(self, revoked_at=at, revoked_by=by)


@dataclass(frozen=True)
class ApiToken:
    """A scoped, expiring API token. ``secret_hash`` is the SHA-256 of its secret."""

    id: str
    user_id: str
    name: str
    secret_hash: str
    scopes: frozenset[str]
    created_at: datetime
    created_by: str
    expires_at: datetime
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    last_used_at: datetime | None = None

    def live(self, now: datetime) -> bool:
        """Not revoked and not expired."""
        return self.revoked_at is None and now < self.expires_at

    def state(self, now: datetime) -> str:
        """``live``, ``expired`` or ``revoked``."""
        if self.revoked_at is not None:
            return "revoked"
        return "live" if now < self.expires_at else "expired"
