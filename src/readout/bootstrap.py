"""The only place that picks adapters."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from readout.adapters.ics_files import IcsFileReader
from readout.adapters.memory_hold_calendar import MemoryHoldCalendar
from readout.services.context import Deps
from readout.services.ports import CalendarReader, UnitOfWork

__all__ = ["calendar_reader", "clock", "workflow_deps"]


def calendar_reader() -> CalendarReader:
    """The calendar port for this process: local iCalendar files."""
    return IcsFileReader()


def clock(now: datetime | None = None) -> Callable[[], datetime]:
    """The wall clock in UTC, or a fixed instant (``--now``) for rehearsals, demos and tests."""
    if now is not None:
        fixed = now.astimezone(UTC)
        return lambda: fixed
    return lambda: datetime.now(UTC)


def unit_of_work_factory(environ: Mapping[str, str]) -> Callable[[], UnitOfWork]:
    """SQL store at ``READOUT_DATABASE_URL`` (default: an embedded SQLite file), migrated to head."""
    from readout.adapters.sql import SqlUnitOfWork, create_engine_from_url, default_database_url, migrate

    engine = create_engine_from_url(default_database_url(environ))
    migrate(engine)
    return lambda: SqlUnitOfWork(engine)


def workflow_deps(now: datetime | None = None, environ: Mapping[str, str] | None = None) -> Deps:
    """Adapters for the workflow commands. Holds live in the ledger only until a calendar server is set up."""
    return Deps(
        uow=unit_of_work_factory(os.environ if environ is None else environ),
        reader=calendar_reader(),
        holds=MemoryHoldCalendar(),
        clock=clock(now),
    )
