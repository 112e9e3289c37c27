"""The escalation record: its case document as stored (normalised JSON), its versions, and the case built
from it.

A case document is the case file's data (spec ``case-file.md``), whatever brought it in: a YAML or JSON file
read by the case-file adapter, or a document handed over by another front door. Stored, it is the truth:
every use case builds its case from the stored version, never from a file read again. Its digest is the
SHA-256 of its canonical JSON (keys sorted, no spaces), so the same data has the same digest however it
was written.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from readout.domain.sources import CalendarSource, RemoteSource

if TYPE_CHECKING:  # the store reads case versions without loading the planner's domain (numpy)
    from readout.domain.case import Case

__all__ = ["API_ORIGIN", "CaseDocument", "CaseVersion", "LoadedCase", "canonical_json", "storable"]

API_ORIGIN = "api"  # where a document handed over by a service front door (not a file) came from


def canonical_json(body: Mapping[str, Any]) -> str:
    """The one text of ``body`` that its digest is taken over."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


@dataclass(frozen=True)
class CaseDocument:
    """A case document's data (JSON values only; local calendar paths absolute) and where it came from: the
    file's path as given, or ``API_ORIGIN``. Error messages about the document name ``origin``."""

    body: Mapping[str, Any] = field(compare=False, repr=False)
    origin: str

    @cached_property
    def text(self) -> str:
        """The canonical JSON text (what is stored and hashed)."""
        return canonical_json(self.body)

    @cached_property
    def digest(self) -> str:
        """SHA-256 (hex) of the canonical JSON."""
        return hashlib.sha256(self.text.encode()).hexdigest()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CaseDocument) and (self.origin, self.digest) == (other.origin, other.digest)

    def __hash__(self) -> int:
        return hash((self.origin, self.digest))


def storable(document: CaseDocument) -> CaseDocument:
    """The document as it may be stored: without the escalation's internal ``summary`` (incident detail
    that never leaves the case file: not into the store, holds, invites or logs)."""
    escalation = document.body.get("escalation")
    if not isinstance(escalation, Mapping) or "summary" not in escalation:
        return document
    kept = {key: value for key, value in escalation.items() if key != "summary"}
    return CaseDocument({**document.body, "escalation": kept}, document.origin)


@dataclass(frozen=True)
class CaseVersion:
    """One stored version of an escalation's case document: version 1 when opened, one more per change."""

    escalation_id: str
    version: int
    document: CaseDocument
    imported_by: str
    imported_at: datetime

    @property
    def digest(self) -> str:
        return self.document.digest


@dataclass(frozen=True)
class LoadedCase:
    """A validated case document built into the domain case, plus what the edges need: the document's own
    ``now`` (an "as of" for rehearsals) and the calendars it names (read live, never stored)."""

    case: Case
    now: datetime | None
    calendars: dict[str, CalendarSource]
    blackout_calendars: tuple[CalendarSource, ...]
    document: CaseDocument
    # Where holds for a person may be written (``people.X.hold_calendar``: their own CalDAV collection or one
    # delegated to Readout); people without one get no hold of their own.
    hold_calendars: dict[str, CalendarSource] = field(default_factory=dict)
    blackout_notes: tuple[str, ...] = ()  # each blackout calendar block's ``note`` ("" for none), in order

    def blackout_label(self, n: int) -> str:
        """How explanations name the ``n``-th blackout calendar: its block's note, else ``calendar <file
        name>`` (a URL as shown, credentials redacted)."""
        note = self.blackout_notes[n] if n < len(self.blackout_notes) else ""
        source = self.blackout_calendars[n]
        return (
            note or f"calendar {source.shown if isinstance(source, RemoteSource) else PurePath(source).name}"
        )

    @property
    def source(self) -> str:
        """Where the document came from (what error messages name)."""
        return self.document.origin

    def tokened_calendars(self) -> list[str]:
        """The calendar URLs (as shown, redacted) that carry a query: a token that must not be stored."""
        sources = (*self.calendars.values(), *self.blackout_calendars, *self.hold_calendars.values())
        return sorted(s.shown for s in sources if isinstance(s, RemoteSource) and s.carries_query)
