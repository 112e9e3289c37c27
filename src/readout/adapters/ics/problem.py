"""The internal error of the iCalendar adapter, turned into a ``CalendarError`` at its edge."""

from __future__ import annotations

from icalendar import Component

__all__ = ["IcsProblem"]


class IcsProblem(Exception):
    """Something in the file cannot be read. The text is ours: it never quotes event content.

    ``component`` and ``prop`` say where, so the message can name the line; ``prop == ""`` points at a line
    that is not a content line at all.
    """

    def __init__(self, problem: str, component: Component | None = None, prop: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.component = component
        self.prop = prop

    def within(self, component: Component) -> IcsProblem:
        """The same problem, located in ``component`` unless it already has a place."""
        if self.component is None:
            self.component = component
        return self
