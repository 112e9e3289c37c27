"""Tentative holds: short-lived, reversible, tied to one escalation and one slot."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum

from readout.domain.intervals import Interval

__all__ = ["Hold", "HoldStatus", "hold_uid"]


class HoldStatus(Enum):
    """A hold is live until it is released, expires, or becomes the confirmed readout."""

    LIVE = "live"
    RELEASED = "released"
    EXPIRED = "expired"
    CONFIRMED = "confirmed"


def hold_uid(escalation_id: str, slot: Interval, calendar: str) -> str:
    """Deterministic calendar UID: the same escalation, slot and calendar always name the same hold."""
    return f"{escalation_id}/{slot.start:%Y%m%dT%H%M%SZ}/{calendar}"


@dataclass(frozen=True)
class Hold:
    """One tentative hold in the ledger. ``id`` is the ledger's row id (0 until recorded)."""

    id: int
    uid: str
    escalation_id: str
    slot: Interval
    calendar: str
    placed_at: datetime
    expires_at: datetime
    status: HoldStatus = HoldStatus.LIVE
    ended_at: datetime | None = None
    end_reason: str | None = None
    calendar_ref: str | None = None  # where the calendar keeps it (adapter-defined, e.g. CalDAV href + ETag)

    def is_live(self, now: datetime) -> bool:
        """Live and not past its expiry."""
        return self.status is HoldStatus.LIVE and now < self.expires_at

    def extended(self, now: datetime, ttl: timedelta) -> Hold:
        """The same hold, expiring ``ttl`` after ``now``."""
        return replace(self, expires_at=now + ttl)

    def ended(self, status: HoldStatus, now: datetime, reason: str) -> Hold:
        """The hold after release, expiry or confirmation."""
        return replace(self, status=status, ended_at=now, end_reason=reason)
