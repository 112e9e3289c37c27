"""The hold port for a hold no calendar of which Readout may write (no internal role holder has a CalDAV
collection): the hold lives in the ledger only. Nothing is written anywhere, so there is no calendar reference
and nothing to find or remove. The effects runner reads that missing reference as "nothing was written": it
records no ``hold_on_calendar`` entry and says the hold is on nobody's calendar."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from readout.domain.holds import Hold
from readout.domain.intervals import Interval
from readout.domain.invite import InvitePacket

__all__ = ["LedgerOnlyHoldCalendar"]


class LedgerOnlyHoldCalendar:
    """Places, releases and confirms nothing outside the ledger (no reference is returned)."""

    def place(self, hold: Hold, zone: ZoneInfo | None = None) -> str | None:
        """The hold is the ledger's row: nothing to write, no calendar reference."""
        return None

    def release(self, hold: Hold) -> None:
        """Nothing was written, so nothing to remove."""

    def confirm(self, hold: Hold, packet: InvitePacket) -> str | None:
        """Nothing to turn into the readout event: no calendar reference."""
        return None

    def marked(self, calendar: str, span: Interval) -> list[Hold]:
        """A ledger-only calendar carries no holds to find."""
        return []
