"""icalendar's own parser, made to skip the lines busy time never reads.

Splitting a content line into name, parameters and value is most of what icalendar spends on a calendar
(``Contentline.parts``: about 12 µs a line), and most lines of a real export are ATTENDEE, ORGANIZER,
SUMMARY or DESCRIPTION. Here a line is first split by one regular expression that accepts only lines
icalendar itself splits without error and the same way; anything else takes icalendar's path unchanged.

A line is skipped only when skipping it cannot change what is read or refused:

- it sits directly in a component that records errors instead of raising them (VEVENT), so the file's
  fate never depended on it; lines of every other component (VCALENDAR, VTIMEZONE, VFREEBUSY, VALARM...)
  are all parsed, since one bad value there makes icalendar refuse the whole file;
- its name is not one busy time reads (``TIMING``), and no VALUE parameter changes its type;
- its value type's parser can only fail with the errors icalendar records (``_SKIPPABLE_TYPES``).

BEGIN and END lines are always kept, so components, their nesting and their order are exactly icalendar's.
The deadline of a remote read (``read_deadline``) is checked at each BEGIN.
"""

from __future__ import annotations

import re
from typing import Any

from icalendar import Calendar, Component
from icalendar.parser import Contentline, Parameters, unescape_backslash
from icalendar.parser.content_line import NEWLINE, UFOLD
from icalendar.parser.ical.calendar import CalendarIcalParser
from icalendar.prop import vCalAddress, vDDDTypes, vInt, vText, vUnknown, vUri

from readout.adapters.ics.durations import keeping_written_durations
from readout.services import read_deadline

__all__ = ["TIMING", "parse_calendars"]

# The VEVENT properties busy time reads (expand.py): their loss or breakage changes busy time.
TIMING = frozenset(
    {"DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID", "STATUS", "TRANSP", "UID"}
    | {"SEQUENCE", "X-READOUT-ESCALATION"}
)

_NEVER_SKIPPED = TIMING | {"BEGIN", "END"}

# Value types whose ``from_ical`` and constructor fail only with ValueError or TypeError, which a VEVENT
# records as a property error (ignored for properties outside TIMING) instead of refusing the file.
_SKIPPABLE_TYPES = frozenset({vText, vCalAddress, vUri, vUnknown, vInt, vDDDTypes})

_UNSAFE = r"\x00-\x08\x0a-\x1f\x7f"  # what icalendar refuses in a parameter value (quoted or not)
_QUOTED = rf'"[^"\\{_UNSAFE}]*"'
_BARE = rf'[^"\\,:;{_UNSAFE}]*'
_VALUE = rf"(?:{_QUOTED}|{_BARE})"
# A content line icalendar splits without error: a plain name, parameters without backslashes, spaces next
# to a delimiter or a stray quote, then the first colon. Group 1 is the name, group 2 the parameters.
_LINE = re.compile(rf"([A-Za-z0-9-]+)((?:;[A-Za-z0-9-]+={_VALUE}(?:,{_VALUE})*)*):")
# Parameters icalendar reads as plain ``KEY=value`` pairs: nothing it would unquote, unescape or split.
_WORD = r"[A-Za-z0-9/_.+-]+"
_PLAIN_PARAMETERS = re.compile(rf"(?:;[A-Z0-9-]+={_WORD}(?: {_WORD})*)+")


_CRLF_FOLD = re.compile(r"\r\n[ \t]")
_LF_FOLD = re.compile(r"\n[ \t]")


def _unfolded(text: str) -> str:
    """``UFOLD.sub("", text)``, icalendar's unfolding. Its pattern also joins folds across blank lines and
    mixed line ends, and pays for that with look-behinds at every line break; a file with one kind of line
    end and no blank line (almost every file) is unfolded by the plain pattern, with the same result."""
    if "\r" not in text:
        if "\n\n" not in text:
            return _LF_FOLD.sub("", text)
    elif text.count("\r") == text.count("\n") == text.count("\r\n") and "\r\n\r\n" not in text:
        return _CRLF_FOLD.sub("", text)
    return UFOLD.sub("", text)


def parse_calendars(content: str) -> list[Component]:
    """``Calendar.from_ical(content, multiple=True)``, without parsing the lines busy time never reads.

    Raises what icalendar raises, for the same files.
    """
    parser = _BusyTimeParser(content, Calendar._get_component_factory(), Calendar.types_factory)
    return parser.parse()


class _BusyTimeParser(CalendarIcalParser):
    """icalendar's calendar parser with a fast split of ordinary lines and skipped unread ones."""

    _skippable: dict[str, bool]
    _factories: dict[str, Any]

    def initialize_parsing(self) -> None:
        """Like icalendar's, with the unfolded lines kept as plain strings: a ``Contentline`` is made only
        for the lines that are parsed (icalendar's unfolding and line split, unchanged)."""
        self._stack = []
        self._components = []
        if not isinstance(self._data, list):  # the second pass (forward TZID references) reuses the lines
            lines: list[Any] = [line for line in NEWLINE.split(_unfolded(str(self._data))) if line]
            self._data = lines
        self._content_lines = self._data
        self._content_lines_iterator = iter(self._data)

    def parse_content_lines(self) -> None:
        """Like icalendar's: BEGIN, END and properties in order, unread VEVENT lines skipped."""
        self._skippable, self._factories = {}, {}
        for line in self._content_lines_iterator:
            if not line:
                continue
            split = _LINE.match(line)
            if split is None:
                self._library_line(_content_line(line))
                continue
            name, parameters = split.group(1).upper(), split.group(2)
            if self._skipped(name, parameters):
                continue
            if parameters and not _PLAIN_PARAMETERS.fullmatch(parameters):
                self._library_line(_content_line(line))
                continue
            pairs = [pair.split("=", 1) for pair in parameters[1:].split(";")] if parameters else []
            params = Parameters(pairs)
            value = line[split.end() :]
            if "\\" in value:
                value = unescape_backslash(value)
            self._dispatch(name, params, value, _content_line(line))

    def get_factory_for_property(self, name: str, params: Parameters) -> Any:
        """icalendar's choice of value type, remembered per name when no VALUE parameter overrides it;
        durations are kept as written (``durations.py``)."""
        if "VALUE" in params:
            return keeping_written_durations(name, super().get_factory_for_property(name, params))
        factory = self._factories.get(name)
        if factory is None:
            factory = super().get_factory_for_property(name, params)
            factory = self._factories[name] = keeping_written_durations(name, factory)
        return factory

    def _skipped(self, name: str, parameters: str) -> bool:
        """Whether this well-formed line may be left out (see the module docstring)."""
        component = self.component
        if name in _NEVER_SKIPPED or component is None or not component.ignore_exceptions:
            return False
        if "VALUE" in parameters.upper():
            return False
        skippable = self._skippable.get(name)
        if skippable is None:
            skippable = self.get_factory_for_property(name, Parameters()) in _SKIPPABLE_TYPES
            self._skippable[name] = skippable
        return skippable

    def _library_line(self, line: Contentline) -> None:
        """One line exactly as icalendar's own loop handles it."""
        try:
            name, params, value = line.parts()
        except ValueError as error:
            self.handle_line_parse_error(error)
            return
        self._dispatch(name.upper(), params, value, line)

    def _dispatch(self, name: str, params: Parameters, value: str, line: Contentline) -> None:
        if name == "BEGIN":
            read_deadline.check()
            self.handle_begin_component(value)
        elif name == "END":
            self.handle_end_component(value)
        else:
            self.handle_property(name, params, value, line)


def _content_line(line: str) -> Contentline:
    """The ``Contentline`` icalendar would have made for this unfolded line."""
    return Contentline(line)  # type: ignore[no-untyped-call]  # icalendar leaves it untyped
