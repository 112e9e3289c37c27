"""Re-plan open escalations whose calendars changed (the calendar-watch step of a worker pass).

Each calendar source an open escalation's stored case reads (its people's and interpreters' calendars and its
blackout calendars; never the hold calendars Readout writes itself) has a fingerprint that changes when its
events may have: a local file's SHA-256, a feed body's SHA-256 from a conditional GET (a 304 costs no
download), a CalDAV collection's ctag or sync-token. ``calendar_marks`` keeps, per escalation and source (as
shown: no credentials), the fingerprint as of the escalation's last re-plan here or its first watch.

``replan_changed`` compares them. A source seen for the first time is recorded and re-plans nothing (the
escalation was planned from it when it was opened or updated). A changed one re-plans the escalation as
Readout itself with the reason ``calendar changed: <person ids, or "blackout calendar N">``; the re-plan
releases the live holds the new plan no longer allows and the announcements tell the channel (a thread reply
per hold ended, a new request when nothing compliant is left). A source that cannot be read now, or offers
no fingerprint, keeps its old mark and re-plans nothing: a re-plan would only make its owner unknown, and
that is left to the next explicit plan (confirmation checks every calendar afresh in any case).

At most once per change, also with several workers: the new marks are written under the escalation's row
lock, after checking that they still differ (another worker may have taken the same change), and committed
before the re-plan; should the re-plan fail, the old marks are put back so the next pass tries again. Only
a process that dies between the two leaves that change unplanned until the calendar changes again or someone
plans. A source that is both read and written by Readout (a person's CalDAV collection that is also their
hold calendar) changes its ctag when Readout places a hold there: the next pass re-plans once for it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from readout.domain.case_document import LoadedCase
from readout.domain.escalation import Escalation
from readout.domain.lifecycle import TRANSITIONS, Action
from readout.domain.sources import CalendarSource, RemoteSource
from readout.errors import ReadoutError
from readout.services.context import Deps, stored_case
from readout.services.escalations import replan_stored
from readout.services.ports import CalendarMark, UnitOfWork

__all__ = ["replan_changed", "source_key"]

_log = logging.getLogger(__name__)


def source_key(source: CalendarSource) -> str:
    """How a source is named in ``calendar_marks`` and messages: a path, or a URL as shown (no credentials,
    no query)."""
    return source.shown if isinstance(source, RemoteSource) else str(source)


@dataclass
class _Read:
    """One source an escalation reads, the names it goes by in the case, and its fingerprint now."""

    source: CalendarSource
    labels: list[str] = field(default_factory=list)
    fingerprint: str | None = None


def replan_changed(deps: Deps) -> int:
    """Re-plan every open escalation one of whose calendars changed since it was last marked; how many were
    re-planned. Failures of one escalation are logged and leave the others to go on."""
    with deps.look() as uow:
        watched = [e.id for e in uow.escalations.list() if _open(e)]
    replanned = 0
    for escalation_id in watched:
        try:
            replanned += _watch(deps, escalation_id)
        except ReadoutError as error:  # its message names sources as shown, never event content
            _log.warning("%s: calendars not watched this pass (%s)", escalation_id, error)
    return replanned


def _open(esc: Escalation) -> bool:
    """Not confirmed, cancelled or otherwise final: a plan may still be made."""
    return not esc.is_final and (esc.state, Action.PLAN) in TRANSITIONS


def _watch(deps: Deps, escalation_id: str) -> bool:
    """Mark or re-plan one escalation; whether it was re-planned."""
    with deps.look() as uow:
        esc = uow.escalations.get(escalation_id)
        if esc is None or not _open(esc):
            return False
        reads = _reads(stored_case(deps, uow, esc))
    for key, read in reads.items():  # outside any transaction: remote sources may be slow
        try:
            read.fingerprint = deps.reader.fingerprint(read.source)
        except ReadoutError as error:
            _log.info("%s: %s not fingerprinted (%s); its mark is kept", escalation_id, key, error)
    now = deps.clock()
    with deps.uow() as uow:
        esc = uow.escalations.get(escalation_id)  # locks the row: workers take turns on one escalation
        if esc is None or not _open(esc):
            return False
        before = uow.calendar_marks.of(escalation_id)
        changed = [
            key
            for key, read in reads.items()
            if read.fingerprint is not None and key in before and before[key].fingerprint != read.fingerprint
        ]
        fresh = [key for key, read in reads.items() if read.fingerprint is not None and key not in before]
        gone = [key for key in before if key not in reads]
        if not (changed or fresh or gone):
            return False
        _mark(uow, escalation_id, reads, [*changed, *fresh], now)
        uow.calendar_marks.forget(escalation_id, gone)
        uow.commit()
    if not changed:
        return False
    reason = "calendar changed: " + ", ".join(label for key in changed for label in reads[key].labels)
    try:
        replan_stored(deps, escalation_id, None, reason)
    except BaseException:
        _restore(deps, escalation_id, [before[key] for key in changed])
        raise
    return True


def _reads(loaded: LoadedCase) -> dict[str, _Read]:
    """The sources the case reads, by key, each with the names it goes by (people and interpreters by id,
    blackout calendars as ``blackout calendar N`` from 1), in the case's order."""
    reads: dict[str, _Read] = {}
    named: list[tuple[str, CalendarSource]] = [*loaded.calendars.items()]
    named += [(f"blackout calendar {n}", s) for n, s in enumerate(loaded.blackout_calendars, start=1)]
    for label, source in named:
        reads.setdefault(source_key(source), _Read(source)).labels.append(label)
    return reads


def _mark(
    uow: UnitOfWork, escalation_id: str, reads: dict[str, _Read], keys: Iterable[str], at: datetime
) -> None:
    for key in keys:
        fingerprint = reads[key].fingerprint
        if fingerprint is not None:
            uow.calendar_marks.put(CalendarMark(escalation_id, key, fingerprint, at))


def _restore(deps: Deps, escalation_id: str, marks: list[CalendarMark]) -> None:
    """Put back the marks a failed re-plan claimed, so that the next pass sees the change again."""
    try:
        with deps.uow() as uow:
            for mark in marks:
                uow.calendar_marks.put(mark)
            uow.commit()
    except ReadoutError as error:
        _log.warning("%s: calendar marks not restored after a failed re-plan (%s)", escalation_id, error)
