"""Tentative holds: short-lived, reversible, tied to one escalation and one slot.

One hold is one ledger row per escalation and slot (the database keeps at most one live per slot), and it
sits on zero or more calendars: its **placements**. Holds go on every internal role holder whose calendar
Readout may write (a CalDAV collection of their own or one delegated to Readout); with none, on the
organizer's calendar when it is a CalDAV collection, else nowhere: the hold is then kept in Readout's ledger
only and is on nobody's calendar. The placements of one hold are placed all-or-nothing and released together.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum

from readout.domain.intervals import Interval
from readout.domain.sources import RemoteSource

__all__ = ["LEDGER_ONLY", "Hold", "HoldStatus", "Placement", "hold_uid", "writable_calendar"]

# How a hold that is on nobody's calendar is described, wherever a person reads about it.
LEDGER_ONLY = "kept in Readout's ledger only: on nobody's calendar"


class HoldStatus(Enum):
    """A hold is live until it is released, expires, or becomes the confirmed readout."""

    LIVE = "live"
    RELEASED = "released"
    EXPIRED = "expired"
    CONFIRMED = "confirmed"


def hold_uid(escalation_id: str, slot: Interval, calendar: str) -> str:
    """Deterministic calendar UID: the same escalation, slot and calendar always name the same hold."""
    return f"{escalation_id}/{slot.start:%Y%m%dT%H%M%SZ}/{calendar}"


def writable_calendar(calendar: str) -> bool:
    """Whether holds can be written to ``calendar``: a CalDAV collection (else: the ledger only)."""
    return "://" in calendar and RemoteSource(calendar).is_caldav


@dataclass(frozen=True)
class Placement:
    """Where one hold sits: a calendar (a CalDAV URL, or a person id when kept in the ledger only), whose it
    is (person id), the zone their floating events are read in, the event's UID there and the calendar's
    reference to it once written (None: nothing written, or not yet)."""

    calendar: str
    person: str | None
    zone: str | None
    uid: str
    ref: str | None = None

    @property
    def on_a_calendar(self) -> bool:
        """Whether this placement is (to be) written to a calendar rather than kept in the ledger only."""
        return writable_calendar(self.calendar)


@dataclass(frozen=True)
class Hold:
    """One tentative hold in the ledger. ``id`` is the ledger's row id (0 until recorded).

    ``calendar``, ``uid`` and ``calendar_ref`` are those of its first placement (what one-calendar holds and
    older rows carry); ``placements`` lists every calendar it goes on (empty: only ``calendar``)."""

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
    placements: tuple[Placement, ...] = ()

    @property
    def targets(self) -> tuple[Placement, ...]:
        """Every placement (a hold recorded with none has one: its own calendar)."""
        if self.placements:
            return self.placements
        return (Placement(self.calendar, None, None, self.uid, self.calendar_ref),)

    @property
    def ledger_only(self) -> bool:
        """Kept in Readout's ledger only: none of its placements is on a calendar Readout writes to."""
        return not any(p.on_a_calendar for p in self.targets)

    def on(self, placement: Placement) -> Hold:
        """This hold as it sits on one calendar (what the calendar port is given)."""
        return replace(
            self, uid=placement.uid, calendar=placement.calendar, calendar_ref=placement.ref, placements=()
        )

    def with_refs(self, refs: dict[str, str | None]) -> Hold:
        """The hold with the calendar references given per calendar (others kept)."""
        placements = tuple(
            replace(p, ref=refs[p.calendar]) if refs.get(p.calendar) else p for p in self.targets
        )
        return replace(self, placements=placements, calendar_ref=placements[0].ref)

    def is_live(self, now: datetime) -> bool:
        """Live and not past its expiry."""
        return self.status is HoldStatus.LIVE and now < self.expires_at

    def extended(self, now: datetime, ttl: timedelta) -> Hold:
        """The same hold, expiring ``ttl`` after ``now``."""
        return replace(self, expires_at=now + ttl)

    def ended(self, status: HoldStatus, now: datetime, reason: str) -> Hold:
        """The hold after release, expiry or confirmation."""
        return replace(self, status=status, ended_at=now, end_reason=reason)
