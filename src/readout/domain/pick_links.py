"""The customer's pick link: a signed, expiring, revocable link to a public page where the customer's incident
manager picks one of the held options (or says none works) without an account.

Pure data and rules: drawing the random token and reading the clock happen in the service. Only the SHA-256 of
the token is ever kept (``token_hash``), as for API tokens; the link is known publicly by its ``id`` (in the
audit trail and on the escalation page), never by its token. A link answers at most once; nothing it records
confirms anything: a coordinator still confirms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum

from readout.domain.intervals import Interval

__all__ = [
    "DEFAULT_TTL",
    "MAX_NOTE",
    "MAX_TTL",
    "MIN_TTL",
    "TOKEN_LENGTH",
    "Answer",
    "LinkState",
    "PickLink",
    "looks_like_token",
    "ttl_problem",
]

DEFAULT_TTL = timedelta(hours=72)
MIN_TTL = timedelta(hours=1)
MAX_TTL = timedelta(days=14)
MAX_NOTE = 1000  # characters of the customer's note
TOKEN_LENGTH = 43  # secrets.token_urlsafe(32): 256 random bits
_TOKEN = re.compile(rf"[A-Za-z0-9_-]{{{TOKEN_LENGTH}}}")


def looks_like_token(text: str) -> bool:
    """Whether ``text`` has the shape of a pick-link token (checked before the store is read at all)."""
    return len(text) == TOKEN_LENGTH and _TOKEN.fullmatch(text) is not None


def ttl_problem(ttl: timedelta) -> str | None:
    """Why a link may not live ``ttl`` (at least an hour, at most 14 days), or None."""
    if ttl < MIN_TTL:
        return "a pick link must live at least 1 hour"
    if ttl > MAX_TTL:
        return "a pick link may live at most 14 days (336 hours)"
    return None


class LinkState(Enum):
    """What a link accepts now: only an ``open`` link accepts an answer."""

    OPEN = "open"
    USED = "used"  # the customer answered: at most one answer per link
    REVOKED = "revoked"
    EXPIRED = "expired"


class Answer(Enum):
    """What the customer answered."""

    PICKED = "picked"  # one of the held options
    DECLINED = "declined"  # none of them works


@dataclass(frozen=True)
class PickLink:
    """One link for one escalation. ``token_hash`` is the SHA-256 (hex) of the token in the URL."""

    id: str
    escalation_id: str
    token_hash: str
    created_at: datetime
    created_by: str
    expires_at: datetime
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    answered_at: datetime | None = None
    answer: Answer | None = None
    picked: Interval | None = None  # the held option picked (answer PICKED)
    note: str = ""  # the customer's note, at most MAX_NOTE characters

    def state(self, now: datetime) -> LinkState:
        """Used first (an answer stands), then revoked, then expired, else open."""
        if self.answered_at is not None:
            return LinkState.USED
        if self.revoked_at is not None:
            return LinkState.REVOKED
        if now >= self.expires_at:
            return LinkState.EXPIRED
        return LinkState.OPEN

    def revoked(self, at: datetime, by: str) -> PickLink:
        """The link revoked at ``at`` by ``by``."""
        return replace(self, revoked_at=at, revoked_by=by)

    def answered(self, at: datetime, picked: Interval | None, note: str) -> PickLink:
        """The link used at ``at``: ``picked`` one held option, or None (none works), with ``note``."""
        answer = Answer.PICKED if picked is not None else Answer.DECLINED
        return replace(self, answered_at=at, answer=answer, picked=picked, note=note[:MAX_NOTE])
