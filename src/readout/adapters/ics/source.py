"""The text of an iCalendar file, kept only to say *where* something is wrong.

icalendar's own error messages quote the offending line, which may hold event content, so errors are
described here instead: by line number, component and property name, never by value. Only the component
names RFC 5545 and its extensions define are shown; any other (``BEGIN:X-PROJECT-FALCON``) is "a
non-standard component", since a name a producer made up is content too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cached_property
from typing import Any

from icalendar import Calendar, Component
from icalendar.parser import Contentline, Parameters

from readout.adapters.ics.problem import IcsProblem

__all__ = ["SourceText", "shown_component"]

_NEWLINE = re.compile(r"\r\n|\n|\r")
_TOKEN = re.compile(r"[A-Z0-9-]{1,40}")
# Components of RFC 5545, RFC 7953 (availability) and RFC 9073 (locations, resources, participants).
_STANDARD_COMPONENTS = frozenset(
    {"VCALENDAR", "VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY", "VTIMEZONE", "STANDARD", "DAYLIGHT", "VALARM"}
    | {"VAVAILABILITY", "AVAILABLE", "VLOCATION", "VRESOURCE", "PARTICIPANT"}
)
_NON_STANDARD = "a non-standard component"
_BEGIN_OR_END = frozenset("BbEe")
# Value types worth checking when icalendar rejects a file without saying where (its messages quote content).
_TYPED_PROPERTIES = frozenset(
    {"DTSTART", "DTEND", "DUE", "RECURRENCE-ID", "RDATE", "EXDATE", "DURATION", "RRULE", "FREEBUSY"}
    | {"TZOFFSETFROM", "TZOFFSETTO"}
)


class SourceText:
    """An iCalendar file as text (UTF-8; undecodable bytes replaced) with its unfolded lines numbered."""

    def __init__(self, data: bytes) -> None:
        self.content = data.decode("utf-8-sig", errors="replace")

    @cached_property
    def lines(self) -> list[tuple[int, str]]:
        """Unfolded content lines with the number of the physical line each starts on."""
        lines: list[tuple[int, str]] = []
        for number, raw in enumerate(_NEWLINE.split(self.content), start=1):
            if raw[:1] in (" ", "\t") and lines:
                lines[-1] = (lines[-1][0], lines[-1][1] + raw[1:])
            elif raw.strip():
                lines.append((number, raw))
        return lines

    def first_problem(self) -> str | None:
        """Why this cannot be read at all: empty, not iCalendar, or BEGIN and END lines not pairing up."""
        if not self.lines:
            return "the file is empty"
        number, line = self.lines[0]
        if line.strip().upper() != "BEGIN:VCALENDAR":
            return f"not an iCalendar file: line {number} is not BEGIN:VCALENDAR"
        return self._unbalanced()

    def _unbalanced(self) -> str | None:
        """The first BEGIN or END out of place. icalendar does not check that an END names the component it
        closes, and drops a component never closed without a word: a broken file would read as free time."""
        open_components: list[tuple[str, int]] = []
        for number, line in self.lines:
            if line[0] not in _BEGIN_OR_END and not line[0].isspace():
                continue  # cannot be a BEGIN or END line: most lines, skipped cheaply
            name, value = _name(line), _token(line.partition(":")[2])
            if name == "BEGIN":
                open_components.append((value, number))
            elif name == "END":
                end = f"END:{value}" if value in _STANDARD_COMPONENTS else f"the END of {_NON_STANDARD}"
                if not open_components:
                    return f"line {number}: {end} without a matching BEGIN"
                opened, since = open_components.pop()
                if opened != value:
                    return f"line {number}: {end} while {_bare(opened)} (line {since}) is still open"
        if open_components:
            value, number = open_components[-1]
            begin = f"BEGIN:{value}" if value in _STANDARD_COMPONENTS else f"the BEGIN of {_NON_STANDARD}"
            return f"line {number}: {begin} is never closed"
        return None

    def defect(self) -> str | None:
        """The first line that is not a content line, or whose time value cannot be parsed."""
        for number, line in self.lines:
            if _parts(line) is None:
                return f"line {number} is not a valid iCalendar content line"
            if not _readable(line):
                return f"line {number}: the {_name(line)} value cannot be parsed"
        return None

    def describe(self, problem: IcsProblem, calendars: Sequence[Component]) -> str:
        """``problem`` with the line it is on and the component it is in, when they can be found."""
        place = self._place(problem.component, calendars)
        if place is None:
            return problem.problem
        begin, end = place
        name = problem.component.name if problem.component is not None else ""
        name = name if name in _STANDARD_COMPONENTS else "component"
        line = self._line_of(problem.prop, begin, end)
        where = (
            f"line {line} (in the {name} starting at line {begin})" if line else f"the {name} at line {begin}"
        )
        return f"{where}: {problem.problem}"

    def _place(self, component: Component | None, calendars: Sequence[Component]) -> tuple[int, int] | None:
        """First and last line of a component directly inside a VCALENDAR."""
        if component is None:
            return None
        flat = [child for calendar in calendars for child in calendar.subcomponents]
        places = self._top_components()
        if len(flat) != len(places):
            return None
        for child, place in zip(flat, places, strict=True):
            if child is component:
                return place
        return None

    def _top_components(self) -> list[tuple[int, int]]:
        """(first line, last line) of every component directly inside a VCALENDAR, in file order."""
        places: list[tuple[int, int]] = []
        depth = 0
        for number, line in self.lines:
            name = _name(line)
            if name == "BEGIN":
                depth += 1
                if depth == 2:
                    places.append((number, number))
            elif name == "END":
                if depth == 2 and places:
                    places[-1] = (places[-1][0], number)
                depth -= 1
        return places

    def _line_of(self, prop: str | None, begin: int, end: int) -> int | None:
        """The line of ``prop`` between ``begin`` and ``end``: an unreadable one first; for ``prop == ""``
        the first line that is not a content line; for None, no line (the component as a whole)."""
        inside = [(number, line) for number, line in self.lines if begin <= number <= end]
        if prop is None:
            return None
        if not prop:
            return next((number for number, line in inside if _parts(line) is None), None)
        named = [(number, line) for number, line in inside if (_parts(line) or ("",))[0] == prop.upper()]
        unreadable = [number for number, line in named if not _readable(line)]
        return next(iter(unreadable or [number for number, _ in named]), None)


def _split(line: str) -> tuple[str, Parameters, str]:
    """icalendar's split of a content line into name, parameters and value (raises when it is not one)."""
    content_line: Any = Contentline(line)  # type: ignore[no-untyped-call]  # icalendar leaves it untyped
    name, params, value = content_line.parts()
    return str(name), params, str(value)


def _parts(line: str) -> tuple[str, str] | None:
    """(upper-case name, value) of a content line, or None when it is not one."""
    try:
        name, _params, value = _split(line)
    except (ValueError, TypeError):
        return None
    return name.upper(), value


def _readable(line: str) -> bool:
    """Whether a timing property's value parses as its type (other properties are not checked)."""
    try:
        name, params, value = _split(line)
        if name.upper() not in _TYPED_PROPERTIES:
            return True
        factory: Any = Calendar.types_factory.for_property(name, params.get("VALUE"))
        for item in value.split(",") if name.upper() == "FREEBUSY" else [value]:
            factory.from_ical(item)
    except Exception:  # any failure means unreadable; the message is not used
        return False
    return True


def shown_component(name: str) -> str:
    """A component named for an error message: ``a VTODO``, or "a non-standard component" for a name the
    file made up (never quoted: it is content too)."""
    return f"a {name}" if name in _STANDARD_COMPONENTS else _NON_STANDARD


def _bare(name: str) -> str:
    return name if name in _STANDARD_COMPONENTS else _NON_STANDARD


def _name(line: str) -> str:
    """The property name of a content line, read cheaply (no parameter parsing), upper-case."""
    return _token(line.partition(":")[0].partition(";")[0])


def _token(text: str) -> str:
    """A component name fit to show: a short iCalendar token, else a placeholder (never free text)."""
    token = text.strip().upper()
    return token if _TOKEN.fullmatch(token) else "(unnamed)"
