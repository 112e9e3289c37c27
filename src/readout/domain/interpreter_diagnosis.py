"""Why no interpreter can come, in terms of the roster: data for an explanation to word.

When nobody on the roster qualifies, the closest misses say how each entry almost serves the readout (the
language written as a name, a three-letter code or a broader tag; the customer's name or a near spelling of
its id on the approval list; approved for other customers only). When some qualify but none can come to any
start inside the hours, each says why: never available then, busy at every such start, or a calendar that
could not be read. CLDR's language data (babel) is loaded only when a roster entry has to be explained.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

import numpy as np

from readout.domain.case import Availability, Case
from readout.domain.families import Attendance
from readout.domain.family_grid import FamilyGrid
from readout.domain.languages import served_by_any, serves
from readout.domain.names import INTERPRETER

__all__ = [
    "InterpreterDeadEnd",
    "InterpreterMiss",
    "MissKind",
    "Problem",
    "interpreter_dead_end",
    "interpreter_misses",
]


class MissKind(Enum):
    """Why a roster interpreter does not serve this readout."""

    LANGUAGE_NAME = "language_name"  # lists the language by name ("Portuguese"), not its tag ("pt")
    LANGUAGE_CODE = "language_code"  # lists a three-letter code ("por") for the two-letter tag ("pt")
    LANGUAGE_BROADER = "language_broader"  # lists "pt" where the readout asks for "pt-BR"
    APPROVED_BY_NAME = "approved_by_name"  # approval list holds the customer's name, not its id
    APPROVED_NEAR_ID = "approved_near_id"  # approval list holds something close to the id ("banco_solaris")
    APPROVED_FOR_OTHERS = "approved_for_others"  # speaks it, approved for other customers only
    NEVER_AVAILABLE = "never_available"  # qualifies; availability windows never hold a slot in the hours
    BUSY = "busy"  # qualifies and is available, but busy at every such start
    CALENDAR_UNREADABLE = "calendar_unreadable"  # qualifies; the calendar failed, so never free


@dataclass(frozen=True)
class Problem:
    """One reason, with the input values it is about (``values``) or how many starts (``count``)."""

    kind: MissKind
    values: tuple[str, ...] = ()
    count: int = 0


@dataclass(frozen=True)
class InterpreterMiss:
    """A roster interpreter who almost serves this readout, and every reason they do not."""

    interpreter_id: str
    name: str
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class InterpreterDeadEnd:
    """No interpreter can come to any start inside the hours: who was looked for and the closest misses
    (fewest problems first). ``unrelated``: roster entries that do not speak the language in any form."""

    language: str
    customer_id: str
    customer_name: str
    roster: int
    qualifying: int
    misses: tuple[InterpreterMiss, ...]
    unrelated: int
    in_hours: int = 0  # starts inside coverage and meeting hours (0 when calendars were not known)


def interpreter_dead_end(case: Case, grid: FamilyGrid | None) -> InterpreterDeadEnd | None:
    """The interpreter explanation when no interpreter can come to any start inside the hours of ``grid`` (or,
    without calendars, ``grid`` None, when nobody on the roster qualifies); else None."""
    language = case.readout.language
    if not language:
        return None
    qualifying = [i for i in case.interpreters if i.qualifies(language, case.customer_id)]
    found: list[InterpreterMiss] = []
    if qualifying:
        if grid is None:
            return None
        inside = grid.subset(grid.in_hours)
        if not len(inside.starts) or not grid.masks[INTERPRETER][grid.in_hours].all():
            return None  # someone can come: not a dead end (and CLDR's language data is never loaded)
        found = [
            InterpreterMiss(
                interp.id,
                interp.name,
                (_availability_problem(att, grid.interpreter_busy.get(interp.id), inside),),
            )
            for interp, att in grid.constraints.interpreters
        ]
    misses, unrelated = interpreter_misses(case)
    misses = tuple(found) + misses
    in_hours = int(grid.in_hours.sum()) if grid is not None else 0
    return InterpreterDeadEnd(
        language,
        case.customer_id,
        case.customer_name,
        len(case.interpreters),
        len(qualifying),
        misses,
        unrelated,
        in_hours,
    )


def interpreter_misses(case: Case) -> tuple[tuple[InterpreterMiss, ...], int]:
    """Roster interpreters who do not qualify but speak the readout's language in some form (by name, a
    three-letter code, a broader tag, or exactly while approved for others), closest first; and how many
    others there are (not speaking it in any form)."""
    language = case.readout.language
    if not language:
        return (), 0
    misses: list[InterpreterMiss] = []
    unrelated = 0
    for interp in case.interpreters:
        if interp.qualifies(language, case.customer_id):
            continue
        speaks = served_by_any(interp.languages, language)
        spoken = None if speaks else _language_problem(interp.languages, language)
        if not speaks and spoken is None:
            unrelated += 1
            continue
        approval = _approval_problem(interp.approved_for, case)
        problems = tuple(p for p in (spoken, approval) if p is not None)
        misses.append(InterpreterMiss(interp.id, interp.name, problems))
    misses.sort(key=lambda m: len(m.problems))  # stable: roster order among equals
    return tuple(misses), unrelated


def _availability_problem(att: Attendance, busy: Availability | None, inside: FamilyGrid) -> Problem:
    """Why a qualifying interpreter can attend no start inside the hours (the caller checked that)."""
    if att.unknown:
        error = busy.error if busy is not None and busy.error else "calendar not read"
        return Problem(MissKind.CALENDAR_UNREADABLE, (error,))
    windowed = np.ones(len(inside.starts), dtype=bool)
    if att.windows is not None:
        windowed = att.windows.covers_all(inside.starts, inside.ends)
    count = int(windowed.sum())
    return Problem(MissKind.BUSY, count=count) if count else Problem(MissKind.NEVER_AVAILABLE)


def _language_problem(languages: tuple[str, ...], requested: str) -> Problem | None:
    """How the interpreter's languages almost serve ``requested`` (a name or a three-letter code for it or
    a broader language, or a broader tag); None when they do not at all."""
    aliases, names = _language_words()
    own = _own_name(requested)
    found: dict[MissKind, list[str]] = {}
    for tag in (t for t in languages if t.strip()):
        word = " ".join(tag.casefold().split())
        primary, _, rest = word.partition("-")
        coded = aliases.get(primary)
        if (word in names and _near(names[word], requested)) or word == own:
            found.setdefault(MissKind.LANGUAGE_NAME, []).append(tag)
        elif coded is not None and _near(coded + ("-" + rest if rest else ""), requested):
            found.setdefault(MissKind.LANGUAGE_CODE, []).append(tag)
        elif serves(requested, tag):  # "pt" listed, "pt-BR" asked for: basic filtering says no
            found.setdefault(MissKind.LANGUAGE_BROADER, []).append(tag)
    for kind in (MissKind.LANGUAGE_NAME, MissKind.LANGUAGE_CODE, MissKind.LANGUAGE_BROADER):
        if kind in found:
            return Problem(kind, tuple(found[kind]))
    return None


def _near(tag: str, requested: str) -> bool:
    """``tag`` serves ``requested`` or is a broader tag of it (``pt`` for ``pt-BR``)."""
    return serves(tag, requested) or serves(requested, tag)


@lru_cache(maxsize=1)
def _language_words() -> tuple[dict[str, str], dict[str, str]]:
    """CLDR's three-letter aliases (``por`` -> ``pt``) and English language names (``portuguese`` ->
    ``pt``, ``brazilian portuguese`` -> ``pt-BR``), both keyed case-folded."""
    from babel import Locale  # only an explanation needs CLDR's language data
    from babel.core import get_global

    aliases = {k.casefold(): str(v).replace("_", "-") for k, v in get_global("language_aliases").items()}
    names = {str(v).casefold(): k.replace("_", "-") for k, v in Locale("en").languages.items()}
    return aliases, names


def _own_name(language: str) -> str | None:
    """The language's name in itself (``português`` for ``pt``), when CLDR knows it."""
    from babel import Locale, UnknownLocaleError

    primary = language.split("-", 1)[0]
    try:
        name = Locale.parse(primary).get_language_name(primary)
    except (UnknownLocaleError, ValueError, TypeError):
        return None
    return name.casefold() if name else None


def _approval_problem(approved: tuple[str, ...], case: Case) -> Problem | None:
    """Why the approval list does not hold the customer: its name, a near spelling of its id, or others."""
    if "*" in approved or case.customer_id in approved:
        return None
    named = [a for a in approved if a.casefold().split() == case.customer_name.casefold().split()]
    if named:
        return Problem(MissKind.APPROVED_BY_NAME, tuple(named))
    near = [
        a
        for a in approved
        if _slug(a) == _slug(case.customer_id)
        or difflib.SequenceMatcher(None, a.casefold(), case.customer_id.casefold()).ratio() >= 0.8
    ]
    if near:
        return Problem(MissKind.APPROVED_NEAR_ID, tuple(near))
    return Problem(MissKind.APPROVED_FOR_OTHERS, approved)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")
