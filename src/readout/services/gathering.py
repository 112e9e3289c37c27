"""Gather free/busy and blackouts for a planning window from every calendar source at once.

Sources are read concurrently, each with the same time budget. A remote source that fails or does not answer
in time makes its owner *unknown* (never free) and the plan names them; a local file that cannot be read is
invalid input (the case file's error, naming the field and the calendar file). A remote read still running
when the wait ends is not left to run on: it works under the same deadline (``read_deadline``) and stops
soon after.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from readout.domain.case import Availability
from readout.domain.case_document import LoadedCase
from readout.domain.intervals import Interval
from readout.domain.plan import Unreadable
from readout.domain.sources import CalendarSource, RemoteSource
from readout.errors import CalendarError, CaseFileError, SourceUnavailable
from readout.observability import calendar_failure_kind, calendar_read_failed
from readout.services.ports import CalendarReader
from readout.services.read_deadline import ReadAbandoned, run_before

if TYPE_CHECKING:
    from concurrent.futures import Future

__all__ = ["Gathered", "gather"]

_MAX_THREADS = 16
# A remote read may take up to about twice its timeout (connect, then a slow body); beyond that it is unknown.
_SAFETY = 2


@dataclass(frozen=True)
class Gathered:
    """Busy time per person and interpreter, blackout blocks, and the sources that could not be read."""

    people: dict[str, Availability]
    interpreters: dict[str, Availability]
    blackouts: tuple[Interval, ...]
    unreadable: tuple[Unreadable, ...]
    blackout_labels: tuple[str, ...] = ()  # one per ``blackouts`` block: the calendar it came from


@dataclass(frozen=True)
class _Job:
    kind: str  # "people" | "interpreters" | "blackouts"
    key: str
    field: str
    source: CalendarSource
    zone: ZoneInfo
    label: str = ""  # a blackout calendar: how explanations name its blocks


def _jobs(loaded: LoadedCase) -> list[_Job]:
    case = loaded.case
    jobs = [
        _Job("people", pid, f"people.{pid}.calendar", loaded.calendars[pid], p.zone)
        for pid, p in case.people.items()
        if p.has_calendar
    ]
    jobs += [
        _Job("interpreters", i.id, f"interpreters.{n}.calendar", loaded.calendars[i.id], i.zone)
        for n, i in enumerate(case.interpreters)
        if i.has_calendar
    ]
    jobs += [
        _Job(
            "blackouts",
            f"cab-{n}",
            "customer.cab_blackouts",
            source,
            case.customer_zone,
            loaded.blackout_label(n),
        )
        for n, source in enumerate(loaded.blackout_calendars)
    ]
    return jobs


def _reader_call(
    job: _Job, loaded: LoadedCase, reader: CalendarReader, window: Interval
) -> Callable[[], tuple[Interval, ...]]:
    if job.kind == "blackouts":
        return lambda: reader.blackouts(job.source, window=window, zone=job.zone)
    return lambda: reader.busy(
        job.source,
        window=window,
        zone=job.zone,
        tentative_is_busy=loaded.case.tentative_is_busy,
        exclude_escalation=loaded.case.escalation_id,
    )


def gather(loaded: LoadedCase, reader: CalendarReader, window: Interval, timeout: float) -> Gathered:
    """Read every calendar the case names: remote sources concurrently, each within ``timeout`` seconds
    (adapters enforce their own network timeouts; this wait is the safety net), then local files."""
    jobs = _jobs(loaded)
    remote = [job for job in jobs if isinstance(job.source, RemoteSource)]
    results: dict[_Job, tuple[Interval, ...] | str] = {}
    if remote:
        from concurrent.futures import ThreadPoolExecutor, wait  # threads only for the network

        pool = ThreadPoolExecutor(
            max_workers=min(len(remote), _MAX_THREADS), thread_name_prefix="readout-gather"
        )
        deadline = time.monotonic() + _SAFETY * timeout + 1
        try:
            futures = {
                pool.submit(partial(run_before, deadline, _reader_call(job, loaded, reader, window))): job
                for job in remote
            }
            wait(futures, timeout=max(0.0, deadline - time.monotonic()))
            for future, job in futures.items():
                results[job] = _outcome(future, job, loaded, timeout)
        finally:
            # A hung source must not hold planning hostage; one still parsing stops at the deadline by itself.
            pool.shutdown(wait=False, cancel_futures=True)
    # Local files are read here, after the network waits started: CPU-bound parsing gains nothing from threads
    # (the GIL), and a file can neither hang nor be "unknown": a bad one is invalid input.
    for job in jobs:
        if job not in results:
            results[job] = _local_outcome(job, loaded, reader, window)
    return _collect(jobs, results, window)


def _local_outcome(
    job: _Job, loaded: LoadedCase, reader: CalendarReader, window: Interval
) -> tuple[Interval, ...]:
    try:
        return _reader_call(job, loaded, reader, window)()
    except CalendarError as err:  # a local calendar that cannot be read is invalid input, never "free"
        raise CaseFileError(str(loaded.source), job.field, str(err)) from err


def _outcome(
    future: Future[tuple[Interval, ...]], job: _Job, loaded: LoadedCase, timeout: float
) -> tuple[Interval, ...] | str:
    no_answer = f"{_shown(job.source)}: no answer within {_SAFETY * timeout + 1:g}s"
    if not future.done():
        calendar_read_failed("timeout", _ROLES[job.kind])
        return no_answer
    try:
        return future.result()
    except ReadAbandoned:  # it stopped at the deadline just before the wait ended
        calendar_read_failed("timeout", _ROLES[job.kind])
        return no_answer
    except CalendarError as err:  # a local calendar that cannot be read is invalid input, never "free"
        calendar_read_failed("malformed", _ROLES[job.kind])
        raise CaseFileError(str(loaded.source), job.field, str(err)) from err
    except SourceUnavailable as err:
        calendar_read_failed(calendar_failure_kind(err.detail), _ROLES[job.kind])
        return str(err)


# How the calendar read failures metric names whose calendar it was (a fixed set: never a person's id).
_ROLES = {"people": "person", "interpreters": "interpreter", "blackouts": "blackout"}


def _shown(source: CalendarSource) -> str:
    return source.shown if isinstance(source, RemoteSource) else str(source)


def _collect(jobs: list[_Job], results: dict[_Job, tuple[Interval, ...] | str], window: Interval) -> Gathered:
    people: dict[str, Availability] = {}
    interpreters: dict[str, Availability] = {}
    blackouts: list[Interval] = []
    labels: list[str] = []
    unreadable: list[Unreadable] = []
    for job in jobs:
        result = results[job]
        if job.kind == "blackouts":
            label = job.label
            if isinstance(
                result, str
            ):  # fail closed: an unread change calendar could hide a blackout anywhere
                blackouts.append(window)
                labels.append(f"{label} (unreadable: taken as blacked out)")
                unreadable.append(Unreadable("customer", "cab_blackouts", result))
            else:
                blackouts.extend(result)
                labels.extend([label] * len(result))
            continue
        target = people if job.kind == "people" else interpreters
        target[job.key] = (
            Availability.unknown(result) if isinstance(result, str) else Availability.known(result)
        )
    return Gathered(people, interpreters, tuple(blackouts), tuple(unreadable), tuple(labels))
