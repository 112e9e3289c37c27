"""In-memory calendar side of holds: for tests, and for running without a calendar server (ledger only)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from readout.domain.holds import Hold
from readout.domain.intervals import Interval
from readout.domain.invite import InvitePacket
from readout.errors import SlotTaken, SourceUnavailable

__all__ = ["MemoryHoldCalendar"]


class MemoryHoldCalendar:
    """Holds keyed by uid; ``taken`` marks slots someone else booked on every calendar, ``taken_on`` on one
    calendar (placing a hold there fails); ``down`` names calendars that do not answer."""

    def __init__(self) -> None:
        self.events: dict[str, Hold] = {}
        self.taken: set[Interval] = set()
        self.taken_on: dict[str, set[Interval]] = {}
        self.down: set[str] = set()
        self.released: list[str] = []
        self.confirmed: list[str] = []
        self.zones: dict[str, ZoneInfo | None] = {}  # the zone each hold was placed with

    def place(self, hold: Hold, zone: ZoneInfo | None = None) -> str | None:
        """Create the hold (idempotent for the same uid); ``taken`` holds instants, so ``zone`` is moot."""
        if hold.calendar in self.down:
            raise SourceUnavailable(hold.calendar, "does not answer")
        if any(hold.slot.overlaps(t) for t in self.taken | self.taken_on.get(hold.calendar, set())):
            raise SlotTaken(f"{hold.calendar}'s calendar is busy at {hold.slot.start:%Y-%m-%d %H:%M}Z")
        self.events[hold.uid] = hold
        self.zones[hold.uid] = zone
        return f"memory:{hold.uid}"

    def confirm(self, hold: Hold, packet: InvitePacket) -> str | None:
        """Mark the hold's event as the confirmed readout."""
        self.confirmed.append(hold.uid)
        return hold.calendar_ref

    def release(self, hold: Hold) -> None:
        """Delete the hold; already gone is fine."""
        if hold.calendar in self.down:
            raise SourceUnavailable(hold.calendar, "does not answer")
        if self.events.pop(hold.uid, None) is not None:
            self.released.append(hold.uid)

    def marked(self, calendar: str, span: Interval) -> list[Hold]:
        """The holds on ``calendar`` whose slot overlaps ``span``."""
        return [h for h in self.events.values() if h.calendar == calendar and h.slot.overlaps(span)]
