"""Case documents in and out of the case-file format: read a case file (YAML or JSON) into a ``CaseDocument``,
and validate a document and build the domain ``Case`` from it (the ``CaseBuilder`` port).

Everything a user can type ends as a ``CaseFileError`` naming the file (or the document's origin), the field
path as the user wrote it (``people.luis.availability.funday``, ``customer.cab_blackouts.1.end``) and what
was expected. A file's local calendar paths are made absolute when it is read, so the stored document names
the same calendars wherever it is used from.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError

from readout.adapters.casefile.document import DocumentError, read_document
from readout.adapters.casefile.holidays import HolidayCalendarError, holiday_set, holiday_years
from readout.adapters.casefile.intake import ApiIntake
from readout.adapters.casefile.schema import (
    _URL,
    BLACKOUT_SHAPES,
    AbsoluteBlock,
    CalendarBlock,
    CalendarIntake,
    CaseFileSpec,
    CoverageSpec,
    HolidaySpec,
    InterpreterSpec,
    PersonSpec,
    RolesSpec,
    WeeklyBlock,
)
from readout.adapters.casefile.zones import zone_warning
from readout.config import OutboundPolicy
from readout.domain.case import (
    Blackouts,
    Case,
    Coverage,
    HolidaySet,
    Interpreter,
    MeetingHours,
    Person,
    Readout,
)
from readout.domain.case_document import API_ORIGIN, CaseDocument, LoadedCase
from readout.domain.intervals import Interval
from readout.domain.names import ROLES
from readout.domain.sources import CalendarSource
from readout.domain.weekly import WeeklyWindows, parse_weekly
from readout.errors import CaseFileError

__all__ = ["CaseFileBuilder", "blackout_calendar_labels", "load_case", "read_case_file"]

_T = TypeVar("_T")
Problem = tuple[str, str]  # (dotted field path, what was expected)
_MAX_LISTED = 20


def read_case_file(path: Path) -> CaseDocument:
    """Read and validate the case file at ``path``: its data as a case document, calendar paths absolute."""
    return _load(path)[0]


def load_case(path: Path) -> LoadedCase:
    """Read, validate and build the case in ``path``; raise CaseFileError for anything invalid."""
    document, spec = _load(path)
    return _guarded(document.origin, lambda: _build(spec, document))


class CaseFileBuilder:
    """The ``CaseBuilder`` port: a document is validated by the case file's schema and rules. Relative local
    calendar paths (a document not read from a file) resolve against ``calendar_root``.

    A document posted to the API (origin ``API_ORIGIN``) may name only calendars inside ``calendar_root``
    (none when it is None) and URLs that ``policy`` lets Readout reach (casefile/intake.py, docs/intake.md);
    it is checked each time it is built, so a stored document is held to today's root and allow-list."""

    def __init__(self, calendar_root: Path | None = None, policy: OutboundPolicy | None = None) -> None:
        self._root = calendar_root
        self._policy = policy or OutboundPolicy()

    def build(self, document: CaseDocument) -> LoadedCase:
        """The validated case; CaseFileError naming the document's origin, the field and the expectation."""
        base = self._root or Path.cwd()
        origin = document.origin
        intake = ApiIntake(self._root, self._policy) if origin == API_ORIGIN else None
        return _guarded(
            origin, lambda: _build(_validate(dict(document.body), base, origin, intake), document)
        )


def _load(path: Path) -> tuple[CaseDocument, CaseFileSpec]:
    file = str(path)

    def load() -> tuple[CaseDocument, CaseFileSpec]:
        data = read_document(path)
        spec = _validate(data, path.parent.absolute(), file)
        document = CaseDocument(_absolute_calendars(data, path.parent.absolute()), file)
        document.digest  # noqa: B018  (refuses values JSON cannot carry now, not when stored)
        return document, spec

    return _guarded(file, load)


def _guarded(file: str, step: Callable[[], _T]) -> _T:
    try:
        return step()
    except CaseFileError:
        raise
    except DocumentError as exc:
        raise CaseFileError(file, "", str(exc)) from None
    except RecursionError:
        raise CaseFileError(file, "", "nested too deeply to be a case file") from None
    except Exception as exc:  # last line of defence: user input must never surface as a traceback
        raise CaseFileError(file, "", f"cannot be loaded ({type(exc).__name__}: {exc})") from exc


def _absolute_calendars(data: dict[str, Any], base: Path) -> dict[str, Any]:
    """A copy of validated case data whose local calendar paths are absolute (URLs stay as written)."""

    def absolute(holder: Any) -> Any:
        value = holder.get("calendar") if isinstance(holder, dict) else None
        if not isinstance(value, str) or _URL.match(value):
            return holder
        return {**holder, "calendar": str((base / value).absolute())}

    out = dict(data)
    if isinstance(data.get("people"), dict):
        out["people"] = {pid: absolute(p) for pid, p in data["people"].items()}
    if isinstance(data.get("interpreters"), list):
        out["interpreters"] = [absolute(i) for i in data["interpreters"]]
    customer = data.get("customer")
    if isinstance(customer, dict) and isinstance(customer.get("cab_blackouts"), list):
        out["customer"] = {**customer, "cab_blackouts": [absolute(b) for b in customer["cab_blackouts"]]}
    return out


# --- validation ------------------------------------------------------------------------------------------


def _validate(document: Any, base: Path, file: str, intake: CalendarIntake | None = None) -> CaseFileSpec:
    """Check the top level and version first (other errors are noise in a file of another version).
    ``intake``: the calendar rules of a document posted to the API (None: a case file's)."""
    if not isinstance(document, dict):
        got = type(document).__name__
        raise CaseFileError(
            file, "", f"expected a mapping at the top level (version: 1, escalation, ...), got {got}"
        )
    version = document.get("version")
    if "version" not in document:
        raise CaseFileError(file, "version", "missing: expected `version: 1`")
    if type(version) is not int or version != 1:
        raise CaseFileError(
            file, "version", f"expected 1 (the only supported case-file version), got {version!r}"
        )
    try:
        return CaseFileSpec.model_validate(document, context={"base": base, "intake": intake})
    except ValidationError as exc:
        raise _error(file, _problems(exc)) from None


def _error(file: str, problems: Sequence[Problem]) -> CaseFileError:
    """One error: the first problem in the fields, every other one on a line of its own."""
    (field, expected), rest = problems[0], problems[1:]
    lines = [f"\n  {f or '(top level)'}: {e}" for f, e in rest[:_MAX_LISTED]]
    if len(rest) > _MAX_LISTED:
        lines.append(f"\n  ... and {len(rest) - _MAX_LISTED} more")
    return CaseFileError(file, field, expected + "".join(lines))


def _problems(exc: ValidationError) -> list[Problem]:
    """Field path and expectation of each pydantic error; unknown keys first (a typo explains the rest)."""
    errors = sorted(exc.errors(include_url=False), key=lambda e: e["type"] != "extra_forbidden")
    return [(_dotted(e["loc"]), _expected(e)) for e in errors]


def _dotted(loc: Sequence[int | str]) -> str:
    """The path as the user typed it: no ``[key]`` markers, no union tags."""
    parts = [
        str(part)
        for i, part in enumerate(loc)
        if part != "[key]" and not (part in BLACKOUT_SHAPES and i > 0 and isinstance(loc[i - 1], int))
    ]
    return ".".join(parts)


_PLAIN: dict[str, str] = {
    "string_type": "expected text",
    "string_too_short": "expected non-empty text",
    "int_type": "expected a whole number",
    "float_type": "expected a number",
    "finite_number": "expected a finite number",
    "bool_type": "expected true or false",
    "dict_type": "expected a mapping",
    "model_type": "expected a mapping",
    "list_type": "expected a list",
}
_WITH_CTX: dict[str, Callable[[dict[str, Any]], str]] = {
    "greater_than": lambda c: f"expected a number greater than {c['gt']:g}",
    "greater_than_equal": lambda c: f"expected a number of at least {c['ge']:g}",
    "less_than_equal": lambda c: f"expected a number of at most {c['le']:g}",
    "literal_error": lambda c: f"expected {c['expected']}",
}


def _expected(error: Any) -> str:
    """Human words for one pydantic error dict."""
    kind, ctx, value = error["type"], error.get("ctx", {}), error.get("input")
    if kind == "missing":
        return "missing: this key is required"
    if kind == "extra_forbidden":
        return _unknown_key(error["loc"])
    if kind == "value_error":
        return str(ctx["error"])
    if kind == "too_short":
        return "expected at least one entry, got none"
    text = _PLAIN.get(kind) or (_WITH_CTX[kind](ctx) if kind in _WITH_CTX else str(error["msg"]))
    if isinstance(value, dict | list):
        return f"{text}, got a {'mapping' if isinstance(value, dict) else 'list'}"
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    return f"{text}, got {shown}"


def _unknown_key(loc: Sequence[int | str]) -> str:
    allowed = _allowed_keys(loc[:-1])
    if not allowed:
        return "unknown key"
    close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown key{hint}; expected one of: {', '.join(allowed)}"


def _allowed_keys(loc: Sequence[int | str]) -> list[str]:
    """Keys of the model found by walking ``loc`` down from the root schema; [] when not a model."""
    node: Any = CaseFileSpec
    for part in loc:
        node = _step(_unwrap(node), part)
    node = _unwrap(node)
    return list(node.model_fields) if isinstance(node, type) and issubclass(node, BaseModel) else []


def _unwrap(node: Any) -> Any:
    while get_origin(node) is Annotated or (get_origin(node) in (Union, types.UnionType) and _one_arm(node)):
        node = get_args(node)[0] if get_origin(node) is Annotated else _one_arm(node)
    return node


def _one_arm(node: Any) -> Any:
    arms = [a for a in get_args(node) if a is not type(None)]
    return arms[0] if len(arms) == 1 else None


def _step(node: Any, part: int | str) -> Any:
    if isinstance(part, str) and part in BLACKOUT_SHAPES:
        return BLACKOUT_SHAPES[part]
    if isinstance(node, type) and issubclass(node, BaseModel):
        field = node.model_fields.get(str(part))
        return field.annotation if field else None
    args = get_args(node)
    if get_origin(node) is dict and args:
        return args[1]
    return args[0] if get_origin(node) is list and args else None


# --- building the domain case ----------------------------------------------------------------------------


def _build(spec: CaseFileSpec, document: CaseDocument) -> LoadedCase:
    file = document.origin
    problems: list[Problem] = []
    _check_references(spec, problems)
    case = _case(spec, _years(spec), problems)
    if problems:
        raise _error(file, problems)
    return LoadedCase(
        case=case,
        now=spec.now,
        calendars=_calendars(spec),
        blackout_calendars=tuple(
            b.calendar for b in spec.customer.cab_blackouts if isinstance(b, CalendarBlock)
        ),
        blackout_notes=tuple(
            b.note.strip() for b in spec.customer.cab_blackouts if isinstance(b, CalendarBlock)
        ),
        document=document,
        hold_calendars={
            pid: p.hold_calendar for pid, p in spec.people.items() if p.hold_calendar is not None
        },
    )


def _check_references(spec: CaseFileSpec, problems: list[Problem]) -> None:
    """Cross-field rules pydantic cannot see: interpreter ids unique and apart from people.

    Roles and optional attendees naming nobody are not errors: the planner reports them (not ready / unknown).
    """
    first: dict[str, int] = {}
    for i, interpreter in enumerate(spec.interpreters):
        if interpreter.id in first:
            where = f"interpreters.{first[interpreter.id]}"
            problems.append((f"interpreters.{i}.id", f"expected a unique id; {interpreter.id!r} is {where}"))
        first.setdefault(interpreter.id, i)
        if interpreter.id in spec.people:
            problems.append(
                (f"interpreters.{i}.id", f"expected an id not used in people, got {interpreter.id!r}")
            )


def _years(spec: CaseFileSpec) -> range:
    """Holiday years: around the approval, else the file's ``now``, else this year (RCA not approved yet)."""
    anchor = spec.escalation.customer_safe_rca_approved_at or spec.now or datetime.now(UTC)
    readout = spec.escalation.readout
    return holiday_years(anchor.year, readout.due_business_days if readout else 5)


def _holidays(spec: HolidaySpec | None, field: str, years: range, problems: list[Problem]) -> HolidaySet:
    if spec is None:
        return HolidaySet()
    try:
        return holiday_set(spec.country, spec.subdiv, spec.extra, years)
    except HolidayCalendarError as exc:
        problems.append((f"{field}.{exc.part}", str(exc)))
        return HolidaySet()


def _case(spec: CaseFileSpec, years: range, problems: list[Problem]) -> Case:
    customer, escalation = spec.customer, spec.escalation
    policy = spec.policy
    business = policy.business_days if policy else None
    customer_holidays = _holidays(customer.holidays, "customer.holidays", years, problems)
    business_holidays = customer_holidays
    if business and business.holidays is not None:
        business_holidays = _holidays(business.holidays, "policy.business_days.holidays", years, problems)
    holds = policy.holds if policy else None
    return Case(
        escalation_id=escalation.id,
        customer_id=customer.id,
        customer_name=customer.name or customer.id,
        customer_zone=customer.timezone,
        approved_at=escalation.customer_safe_rca_approved_at,
        readout=_readout(spec),
        business_zone=business.timezone if business and business.timezone else customer.timezone,
        business_holidays=business_holidays,
        people={pid: _person(pid, p) for pid, p in spec.people.items()},
        roles=_roles(spec.roles),
        optional_attendees=tuple(spec.optional_attendees),
        interpreters=tuple(_interpreter(i) for i in spec.interpreters),
        coverage=_coverage(policy.coverage if policy else None, years, problems),
        meeting_hours=_meeting_hours(spec, customer_holidays),
        blackouts=_blackouts(spec),
        granularity=policy.granularity_minutes if policy else 15,
        tentative_is_busy=policy.tentative_is_busy if policy else True,
        hold_count=holds.count if holds else 3,
        hold_ttl=timedelta(hours=holds.ttl_hours if holds else 24),
        summary=escalation.summary,
        warnings=_zone_warnings(spec),
    )


def _readout(spec: CaseFileSpec) -> Readout:
    r = spec.escalation.readout
    if r is None:
        return Readout(due_business_days=5, duration=timedelta(minutes=60), min_notice=timedelta(0))
    return Readout(
        due_business_days=r.due_business_days,
        duration=timedelta(minutes=r.duration_minutes),
        min_notice=timedelta(hours=r.min_notice_hours),
        language=r.language,
        modality=r.modality,
    )


def _weekly(spec: Mapping[str, str | list[str]] | None, zone: ZoneInfo) -> WeeklyWindows | None:
    return None if spec is None else parse_weekly(spec, zone)


def _protected(blocks: Iterable[WeeklyBlock], zone: ZoneInfo) -> tuple[WeeklyWindows, ...]:
    return tuple(parse_weekly(b.weekly, b.timezone or zone) for b in blocks)


def _person(pid: str, p: PersonSpec) -> Person:
    return Person(
        id=pid,
        name=p.name or pid,
        email=p.email,
        zone=p.timezone,
        availability=_weekly(p.availability, p.timezone),
        protected=_protected(p.protected, p.timezone),
        has_calendar=p.calendar is not None,
        working_hours=_weekly(p.working_hours, p.timezone),
        night_hours=_weekly(p.night_hours, p.timezone),
    )


def _interpreter(i: InterpreterSpec) -> Interpreter:
    return Interpreter(
        id=i.id,
        name=i.name or i.id,
        email=i.email,
        zone=i.timezone,
        languages=tuple(i.languages),
        approved_for=tuple(i.approved_for),
        availability=_weekly(i.availability, i.timezone),
        has_calendar=i.calendar is not None,
        working_hours=_weekly(i.working_hours, i.timezone),
        night_hours=_weekly(i.night_hours, i.timezone),
    )


def _roles(roles: RolesSpec | None) -> dict[str, str | None]:
    """All four roles; absent, null or empty means unassigned (the planner reports it, it is not an error)."""
    return {role: (getattr(roles, role) or None) if roles else None for role in ROLES}


def _coverage(spec: CoverageSpec | None, years: range, problems: list[Problem]) -> Coverage | None:
    if spec is None:
        return None
    holidays = _holidays(spec.holidays, "policy.coverage.holidays", years, problems)
    return Coverage(hours=parse_weekly(spec.hours, spec.timezone), holidays=holidays)


def _meeting_hours(spec: CaseFileSpec, holidays: HolidaySet) -> MeetingHours | None:
    hours = spec.customer.meeting_hours
    return None if hours is None else MeetingHours(parse_weekly(hours, spec.customer.timezone), holidays)


def _blackouts(spec: CaseFileSpec) -> Blackouts:
    """The blackout blocks; each absolute one labelled with its note, else its place in the file."""
    blocks, zone = spec.customer.cab_blackouts, spec.customer.timezone
    absolute = [(n, b) for n, b in enumerate(blocks) if isinstance(b, AbsoluteBlock)]
    return Blackouts(
        absolute=tuple(Interval(b.start, b.end) for _, b in absolute),
        weekly=_protected((b for b in blocks if isinstance(b, WeeklyBlock)), zone),
        labels=tuple(b.note.strip() or f"customer.cab_blackouts.{n}" for n, b in absolute),
    )


def blackout_calendar_labels(loaded: LoadedCase) -> tuple[str, ...]:
    """A label for each of ``loaded.blackout_calendars``, in the same order (``LoadedCase.blackout_label``):
    the block's note, else ``calendar <file name>``."""
    return tuple(loaded.blackout_label(n) for n in range(len(loaded.blackout_calendars)))


def _zone_warnings(spec: CaseFileSpec) -> tuple[str, ...]:
    """A warning for each time zone that is valid but probably not meant (``EST``), naming every field that
    uses it: ``people.liam.timezone, customer.timezone: EST is a fixed UTC-05:00 offset ...``."""
    found: dict[str, list[str]] = {}
    for field, zone in _zones(spec):
        warning = zone_warning(zone) if zone is not None else None
        if warning is not None:
            found.setdefault(warning, []).append(field)
    return tuple(f"{', '.join(fields)}: {warning}" for warning, fields in found.items())


def _zones(spec: CaseFileSpec) -> Iterable[tuple[str, ZoneInfo | None]]:
    """Every time zone the case file names, with its field path, in file order (None: not given)."""
    customer = spec.customer
    yield "customer.timezone", customer.timezone
    for n, block in enumerate(customer.cab_blackouts):
        if isinstance(block, WeeklyBlock):
            yield f"customer.cab_blackouts.{n}.timezone", block.timezone
    for pid, person in spec.people.items():
        yield f"people.{pid}.timezone", person.timezone
        for n, window in enumerate(person.protected):
            yield f"people.{pid}.protected.{n}.timezone", window.timezone
    for n, interpreter in enumerate(spec.interpreters):
        yield f"interpreters.{n}.timezone", interpreter.timezone
    policy = spec.policy
    if policy and policy.business_days:
        yield "policy.business_days.timezone", policy.business_days.timezone
    if policy and policy.coverage:
        yield "policy.coverage.timezone", policy.coverage.timezone


def _calendars(spec: CaseFileSpec) -> dict[str, CalendarSource]:
    """Calendar file per person or interpreter id (the two id spaces are kept apart by validation)."""
    found = {pid: p.calendar for pid, p in spec.people.items() if p.calendar is not None}
    found.update({i.id: i.calendar for i in spec.interpreters if i.calendar is not None})
    return found
