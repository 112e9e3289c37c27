"""Pydantic v2 schema of case file v1 (``spec/case-file.md``): shapes and single values, checked at the edge.

Every model forbids unknown keys and is strict (no silent coercion of ``"yes"`` to true or ``"60"`` to 60).
Values that need more than a type (timestamps, zones, weekly windows, calendar paths) are parsed by small
plain validators whose ``ValueError`` messages say what was expected; ``casefile.py`` maps them to field
paths.
Validate with ``context={"base": <case file folder>}`` so calendar paths resolve against the case file, and
add ``"intake": CalendarIntake`` for a document posted to the API (its calendar rules: casefile/intake.py).
"""

from __future__ import annotations

import re
import stat
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol, cast
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PlainValidator,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from readout.adapters.casefile.zones import suggest_zones
from readout.adapters.input_limits import file_kind
from readout.domain.sources import CALDAV_SCHEMES, REMOTE_SCHEMES, RemoteSource
from readout.domain.weekly import parse_day_key, parse_window

__all__ = [
    "BLACKOUT_SHAPES",
    "AbsoluteBlock",
    "BusinessDaysSpec",
    "CalendarBlock",
    "CalendarIntake",
    "CaseFileSpec",
    "CoverageSpec",
    "CustomerSpec",
    "EscalationSpec",
    "HoldsSpec",
    "HolidaySpec",
    "InterpreterSpec",
    "PersonSpec",
    "PolicySpec",
    "ReadoutSpec",
    "RolesSpec",
    "WeeklyBlock",
]

YEARS = range(1900, 3000)  # far enough for any plan, near enough that date arithmetic never overflows
TIMESTAMP = "an ISO 8601 timestamp with an offset or Z (e.g. 2026-11-03T09:00:00-06:00)"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_NOT_ZONES = frozenset({"localtime", "posixrules"})  # files in some zoneinfo trees, not IANA names


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _timestamp(value: object) -> datetime:
    """An aware instant, returned in UTC; a timestamp without an offset is refused."""
    try:
        moment = datetime.fromisoformat(value.strip()) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise ValueError(f"expected {TIMESTAMP}, got {_shown(value)}")
    if moment.utcoffset() is None:
        raise ValueError(f"expected {TIMESTAMP}, got {_shown(value)} which has no offset")
    if moment.year not in YEARS:
        raise ValueError(f"expected a year from {YEARS[0]} to {YEARS[-1]}, got {_shown(value)}")
    return moment.astimezone(UTC)


def _local_date(value: object) -> date:
    """A calendar date written ``YYYY-MM-DD``."""
    try:
        day = date.fromisoformat(value) if isinstance(value, str) and _DATE.match(value) else None
    except ValueError:
        day = None
    if day is None or day.year not in YEARS:
        raise ValueError(f"expected a date YYYY-MM-DD, got {_shown(value)}")
    return day


def _zone(value: object) -> ZoneInfo:
    """An IANA time zone name such as ``America/Mexico_City``; a near miss gets a did-you-mean."""
    if isinstance(value, str) and value not in _NOT_ZONES:
        try:
            return ZoneInfo(value)
        except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
            pass
        problem = f"unknown time zone {_shown(value)}"
        guesses = suggest_zones(value) if len(value) <= 100 else []
        if guesses:
            problem += f" (did you mean {' or '.join(guesses)}?)"
    else:
        problem = f"got {_shown(value)}"
    raise ValueError(f"expected an IANA time zone name (e.g. America/Mexico_City); {problem}")


def _day_key(value: object) -> str:
    """A weekly day key (``mon``, ``mon-fri``, ``sat,sun``, ``daily``), kept as written."""
    try:
        if not isinstance(value, str):
            raise ValueError(f"{_shown(value)} is not text")
        parse_day_key(value)
    except ValueError as exc:
        raise ValueError(
            f"expected a day key (mon … sun, a range like mon-fri, sat,sun or daily): {exc}"
        ) from None
    return value


def _windows(value: object) -> str | list[str]:
    """One ``"HH:MM-HH:MM"`` window or a non-empty list of them, kept as written."""
    items: list[object] = list(value) if isinstance(value, list) else [value]
    if not items:
        raise ValueError("expected a time window HH:MM-HH:MM or a list of them, got an empty list")
    texts: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"expected a time window HH:MM-HH:MM as text, got {_shown(item)}")
        try:
            parse_window(item)
        except ValueError as exc:
            raise ValueError(f"expected a time window HH:MM-HH:MM: {exc}") from None
        texts.append(item)
    return texts if isinstance(value, list) else texts[0]


_PLAIN_AUTHORITY = re.compile(r"^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")


def _remote(value: str, schemes: tuple[str, ...], expected: str) -> RemoteSource:
    """A calendar URL with one of ``schemes`` and no credentials in it."""
    source = RemoteSource(value)
    if source.scheme not in schemes:
        raise ValueError(f"expected {expected}, got {source.shown}")
    if not _PLAIN_AUTHORITY.match(value.split("://", 1)[1].split("/", 1)[0]):
        raise ValueError(  # the URL is not echoed: it may hold a password
            "expected a calendar URL of the form scheme://host[:port]/path without credentials; "
            "credentials go in the environment or the secrets file (READOUT_SECRETS_FILE)"
        )
    return source


def _calendar_path(value: object, info: ValidationInfo) -> Path | RemoteSource:
    """A local iCalendar file relative to the case file's folder (it must exist now), or a remote source."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a path to a local .ics file or a URL, got {_shown(value)}")
    intake = _intake(info)
    if intake is not None:
        return intake.calendar(value)
    if _URL.match(value):
        return _remote(value, REMOTE_SCHEMES, f"a local path or a {', '.join(REMOTE_SCHEMES)} URL")
    base = info.context["base"] if isinstance(info.context, dict) else Path.cwd()
    path = (Path(base) / value).absolute()
    try:
        mode = path.stat().st_mode
    except (OSError, ValueError):
        raise ValueError(f"calendar file not found: {value} (looked for {path})") from None
    if stat.S_ISDIR(mode):
        raise ValueError(f"calendar path is a folder, not an .ics file: {value} ({path})")
    if not stat.S_ISREG(mode):  # a FIFO would hang the read, /dev/zero never end (docs/limits.md)
        raise ValueError(f"calendar path is {file_kind(mode)}, not a regular file: {value} ({path})")
    return path


_HOLD_EXPECTED = (
    "a CalDAV collection URL (caldav://host/path or caldavs://host/path) where holds may be written"
)


def _hold_calendar(value: object, info: ValidationInfo) -> RemoteSource:
    """A CalDAV collection holds may be written to: the person's own or one delegated to Readout."""
    if not isinstance(value, str) or not _URL.match(value):
        raise ValueError(f"expected {_HOLD_EXPECTED}, got {_shown(value)}")
    source = _remote(value, CALDAV_SCHEMES, _HOLD_EXPECTED)
    intake = _intake(info)
    return source if intake is None else intake.reachable(source)


class CalendarIntake(Protocol):
    """Stricter rules for calendar references, for documents not read from a file (casefile/intake.py)."""

    def calendar(self, value: str) -> Path | RemoteSource:
        """The calendar ``value`` names; ValueError saying what is expected when it may not be used."""
        ...

    def reachable(self, source: RemoteSource) -> RemoteSource:
        """``source`` when Readout may connect to it; ValueError saying what is expected otherwise."""
        ...


def _intake(info: ValidationInfo) -> CalendarIntake | None:
    """The rules in the validation context (``{"intake": ...}``); None: a case file's own rules."""
    found = info.context.get("intake") if isinstance(info.context, dict) else None
    return cast("CalendarIntake | None", found)


Timestamp = Annotated[datetime, PlainValidator(_timestamp)]
LocalDate = Annotated[date, PlainValidator(_local_date)]
Zone = Annotated[ZoneInfo, PlainValidator(_zone)]
CalendarPath = Annotated[Path | RemoteSource, PlainValidator(_calendar_path)]
HoldCalendar = Annotated[RemoteSource, PlainValidator(_hold_calendar)]
Weekly = Annotated[
    dict[Annotated[str, PlainValidator(_day_key)], Annotated[str | list[str], PlainValidator(_windows)]],
    Field(min_length=1),
]
Text = Annotated[str, Field(min_length=1)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _null_means_default(cls, data: Any) -> Any:
        """``key: null`` (or ``key:`` with nothing after it) means the default, for keys that have one."""
        if not isinstance(data, dict):
            return data
        fields = cls.model_fields
        return {k: v for k, v in data.items() if v is not None or k not in fields or fields[k].is_required()}


class HolidaySpec(_Spec):
    """``{country?, subdiv?, extra?}``: a calendar of the ``holidays`` package plus extra local dates."""

    country: Text | None = None
    subdiv: Text | None = None
    extra: list[LocalDate] = []


class ReadoutSpec(_Spec):
    """What the contract asks for; every key has a default."""

    due_business_days: Annotated[int, Field(ge=1, le=1000)] = 5
    duration_minutes: Annotated[int, Field(gt=0, le=1440)] = 60
    min_notice_hours: Annotated[float, Field(ge=0, le=8760, allow_inf_nan=False)] = 0
    language: Text | None = None
    modality: Literal["video", "phone", "onsite"] = "video"


class EscalationSpec(_Spec):
    id: Text
    summary: str = ""
    customer_safe_rca_approved_at: Timestamp | None = None
    readout: ReadoutSpec | None = None


class AbsoluteBlock(_Spec):
    """``{start, end, note?}``: one blackout block between two instants."""

    start: Timestamp
    end: Timestamp
    note: str = ""

    @field_validator("end")
    @classmethod
    def _not_before_start(cls, end: datetime, info: ValidationInfo) -> datetime:
        start = info.data.get("start")
        if isinstance(start, datetime) and end < start:
            raise ValueError(
                f"expected an end at or after the start {start.isoformat()}, got {end.isoformat()} (both UTC)"
            )
        return end


class WeeklyBlock(_Spec):
    """``{weekly: {...}, timezone?, note?}``: recurring windows (CAB blackout or protected handoff)."""

    weekly: Weekly
    timezone: Zone | None = None
    note: str = ""


class CalendarBlock(_Spec):
    """``{calendar: path, note?}``: every non-cancelled event of the calendar is a blackout."""

    calendar: CalendarPath
    note: str = ""


BLACKOUT_SHAPES: dict[str, type[_Spec]] = {
    "absolute blackout": AbsoluteBlock,
    "weekly blackout": WeeklyBlock,
    "calendar blackout": CalendarBlock,
}


def _blackout_shape(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    for key, tag in (("calendar", "calendar blackout"), ("weekly", "weekly blackout")):
        if key in value:
            return tag
    return "absolute blackout" if "start" in value or "end" in value else None


Blackout = Annotated[
    Annotated[AbsoluteBlock, Tag("absolute blackout")]
    | Annotated[WeeklyBlock, Tag("weekly blackout")]
    | Annotated[CalendarBlock, Tag("calendar blackout")],
    Discriminator(
        _blackout_shape,
        custom_error_type="blackout_shape",
        custom_error_message="expected a blackout {start, end, note?}, {weekly: {...}, timezone?, note?} "
        "or {calendar: path, note?}",
    ),
]


class CustomerSpec(_Spec):
    id: Text
    name: str | None = None
    timezone: Zone
    holidays: HolidaySpec | None = None
    meeting_hours: Weekly | None = None
    cab_blackouts: list[Blackout] = []


class PersonSpec(_Spec):
    name: str | None = None
    email: str = ""
    timezone: Zone
    calendar: CalendarPath | None = None
    availability: Weekly | None = None
    protected: list[WeeklyBlock] = []
    # Readout extensions (docs/case-file.md): ranking preferences, and where this person's holds may go.
    working_hours: Weekly | None = None
    night_hours: Weekly | None = None
    hold_calendar: HoldCalendar | None = None


class RolesSpec(_Spec):
    """The four required roles (``readout.domain.names.ROLES``); null or absent means unassigned."""

    escalation_manager: str | None = None
    fix_owner: str | None = None
    customer_success_director: str | None = None
    customer_incident_manager: str | None = None


class InterpreterSpec(_Spec):
    id: Text
    name: str | None = None
    email: str = ""
    languages: Annotated[list[Text], Field(min_length=1)]
    approved_for: Annotated[list[Text], Field(min_length=1)]
    timezone: Zone
    availability: Weekly | None = None
    calendar: CalendarPath | None = None
    # Readout extensions (docs/case-file.md): ranking preferences.
    working_hours: Weekly | None = None
    night_hours: Weekly | None = None


class BusinessDaysSpec(_Spec):
    """Null values mean: the customer's time zone / holidays."""

    timezone: Zone | None = None
    holidays: HolidaySpec | None = None


class CoverageSpec(_Spec):
    timezone: Zone
    hours: Weekly
    holidays: HolidaySpec | None = None


class HoldsSpec(_Spec):
    count: Annotated[int, Field(ge=1, le=50)] = 3
    ttl_hours: Annotated[float, Field(gt=0, le=8760, allow_inf_nan=False)] = 24


class PolicySpec(_Spec):
    business_days: BusinessDaysSpec | None = None
    coverage: CoverageSpec | None = None
    granularity_minutes: Literal[5, 10, 15, 30, 60] = 15
    tentative_is_busy: bool = True
    holds: HoldsSpec | None = None


class CaseFileSpec(_Spec):
    """The whole case file, version 1."""

    version: Literal[1]
    now: Timestamp | None = None
    escalation: EscalationSpec
    customer: CustomerSpec
    people: dict[Text, PersonSpec] = {}
    roles: RolesSpec | None = None
    optional_attendees: list[Text] = []
    interpreters: list[InterpreterSpec] = []
    policy: PolicySpec | None = None
