"""One simulation run per policy variant, each on its own store, and the report of each (``measure``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from readout.domain.intervals import Interval
from readout.errors import Refused
from readout.simulation.cases import Policy, draw_incidents
from readout.simulation.org import build_org

__all__ = [
    "BASELINE",
    "START",
    "VARIANTS",
    "SimulationOptions",
    "SimulationResult",
    "VariantResult",
    "simulate",
    "store_paths",
]

# The virtual clock starts on a fixed Monday (results do not depend on when the run is made), early enough to
# be in the past of any run: a report's "as of now" then finds every simulated escalation settled.
START = datetime(2025, 10, 6, tzinfo=UTC)
BASELINE = Policy("baseline")
VARIANTS: tuple[Policy, ...] = (
    BASELINE,
    Policy("holds-off", holds_on=False, hold_count=1),
    Policy("one-hold", hold_count=1),
    Policy("ttl-8h", ttl_hours=8),
    Policy("granularity-30", granularity=30),
)


@dataclass(frozen=True)
class SimulationOptions:
    escalations: int = 200
    weeks: int = 12
    seed: int = 1
    store: Path | None = Path("readout-simulation.sqlite3")
    database_url: str | None = None
    replace: bool = False
    compare: bool = False
    start: datetime = START
    outages: tuple[tuple[str, Interval], ...] = ()  # calendar outages (key, span) besides the seeded ones


@dataclass
class VariantResult:
    policy: Policy
    store: str  # the database URL (a SQLite file's ``sqlite:///PATH``)
    report: dict[str, Any]
    stats: dict[str, Any]
    seconds: float
    distributions: dict[str, Any] = field(default_factory=dict)


@dataclass
class SimulationResult:
    options: SimulationOptions
    variants: list[VariantResult]

    def to_json(self) -> dict[str, Any]:
        first = self.variants[0]
        return {
            "seed": self.options.seed,
            "escalations": self.options.escalations,
            "weeks": self.options.weeks,
            "start": self.options.start.isoformat(),
            "policy": first.policy.as_dict(),
            "store": first.store,
            "report": first.report,
            "simulation": {**first.stats, "seconds": round(first.seconds, 2)},
            "comparison": [
                {"policy": v.policy.as_dict(), "store": v.store, "report": v.report, "simulation": v.stats}
                for v in self.variants
            ]
            if self.options.compare
            else [],
        }


def store_paths(store: Path, policies: tuple[Policy, ...]) -> list[Path]:
    """The store file of each variant: the given one for the first, ``<stem>-<variant><suffix>`` beside it for
    the others."""
    return [store] + [
        store.with_name(f"{store.stem}-{p.name}{store.suffix or '.sqlite3'}") for p in policies[1:]
    ]


def _sqlite_files(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def _prepare_files(paths: list[Path], replace: bool) -> None:
    taken = [p for p in paths if p.exists()]
    if taken and not replace:
        raise Refused(f"{taken[0]} exists: give --replace to overwrite it, or another --store")
    for path in paths:
        for file in _sqlite_files(path):
            file.unlink(missing_ok=True)


def simulate(
    options: SimulationOptions, progress: Callable[[str, int, int], None] | None = None
) -> SimulationResult:
    """Run the seeded organisation under the baseline policy (and every variant with ``compare``)."""
    policies = VARIANTS if options.compare else (BASELINE,)
    if options.database_url is not None:
        if options.compare:
            raise Refused(
                "--compare needs one store per variant: give --store PATH (SQLite files), not a URL"
            )
        urls = [options.database_url]
    else:
        assert options.store is not None
        paths = store_paths(options.store, policies)
        _prepare_files(paths, options.replace)
        urls = [f"sqlite:///{p.absolute()}" for p in paths]
    results = []
    for policy, url in zip(policies, urls, strict=True):
        tick = (
            (lambda done, name=policy.name: progress(name, done, options.escalations)) if progress else None
        )
        results.append(_run_variant(options, policy, url, tick))
    return SimulationResult(options, results)


def _run_variant(
    options: SimulationOptions, policy: Policy, url: str, progress: Callable[[int], None] | None
) -> VariantResult:
    from readout.adapters.casefile.built_cases import BuiltCases
    from readout.adapters.casefile.loader import CaseFileBuilder
    from readout.adapters.ledger_only import LedgerOnlyHoldCalendar
    from readout.adapters.sql import SqlUnitOfWork, create_engine_from_url, migrate
    from readout.services.context import Deps
    from readout.services.users import import_users
    from readout.simulation.calendars import SimulatedCalendars
    from readout.simulation.engine import USERS, _VirtualClock, run_events
    from readout.simulation.outcomes import distributions, measure_json

    began = time.perf_counter()
    end = options.start + timedelta(weeks=options.weeks)
    org = build_org(options.seed, options.escalations, options.start, end)  # fresh calendars per variant
    incidents = draw_incidents(org, options.seed, options.escalations)
    engine = create_engine_from_url(url)
    try:
        migrate(engine)
        with SqlUnitOfWork(engine, read_only=True) as uow:
            if uow.escalations.list():
                raise Refused(f"the store at {_shown(url)} already holds escalations: give an empty store")
        clock = _VirtualClock(options.start - timedelta(days=1))
        calendars = SimulatedCalendars(org.calendars, clock)
        for key, span in options.outages:
            calendars.outage(key, span)
        deps = Deps(
            uow=lambda: SqlUnitOfWork(engine),
            view=lambda: SqlUnitOfWork(engine, read_only=True),
            reader=calendars,
            holds=LedgerOnlyHoldCalendar(),
            clock=clock,
            cases=BuiltCases(CaseFileBuilder().build, max_entries=4096, ttl=float("inf")),
        )
        import_users(deps, USERS, None)
        stats = run_events(deps, clock, calendars, org, incidents, policy, options.seed, progress)
        report = measure_json(deps)
        shapes = distributions(deps)
    finally:
        engine.dispose()
    summary = {
        **stats.as_dict(),
        "calendar_reads": calendars.reads,
        "calendar_reads_failed": calendars.failed_reads,
        "virtual_end": clock.now.isoformat(),
    }
    return VariantResult(policy, url, report, summary, time.perf_counter() - began, shapes)


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
