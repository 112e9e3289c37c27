"""What expanding one calendar may still cost, counted as it goes (the limits are in ``input_limits``).

Two things are counted, because they cost in different places. Occurrences: every start looked at (DTSTART,
each RDATE, each RRULE start near the window, each override, each FREEBUSY period), each of which becomes an
interval. Steps: the work dateutil does to find a rule's starts, about a microsecond each (``rrule``
weighs each period of a rule it passes through and each occurrence it generates). A calendar past either
limit is refused, never read in part; the deadline of a remote read is checked each time something is counted.
"""

from __future__ import annotations

from readout.adapters.ics.problem import IcsProblem
from readout.adapters.input_limits import OCCURRENCES_PER_CALENDAR, RULE_STEPS_PER_CALENDAR
from readout.services import read_deadline

__all__ = ["Budget"]


class Budget:
    """The occurrences and rule steps one calendar may still spend."""

    def __init__(self) -> None:
        self.occurrences = OCCURRENCES_PER_CALENDAR
        self.steps = RULE_STEPS_PER_CALENDAR

    def spend_occurrences(self, count: int) -> None:
        """Count ``count`` more occurrences looked at."""
        self.occurrences -= count
        if self.occurrences < 0:
            raise IcsProblem(
                f"the calendar has more than {OCCURRENCES_PER_CALENDAR:,} occurrences in and near the "
                "planning window (see docs/limits.md)"
            )
        read_deadline.check()

    def spend_steps(self, count: int) -> None:
        """Count ``count`` more steps taken expanding recurrence rules."""
        self.steps -= count
        if self.steps < 0:
            raise IcsProblem(
                f"the calendar's recurrence rules take more than {RULE_STEPS_PER_CALENDAR:,} steps to expand "
                "(see docs/limits.md)"
            )
        read_deadline.check()
