"""What the metrics cost (docs/metrics.md): ``python -m benchmarks.metrics [--escalations N] [--postgres]``.

1. One scrape of ``/metrics`` (``readout.observability``: this process's metrics and the store's gauges) on
   a SQLite store (and PostgreSQL with ``--postgres``, a throwaway server) holding N escalations, each with
   three holds (one live, one released, one past its expiry) and five effects (three done, one pending,
   one failed): median and p95 of 30 scrapes.
2. Planning the Globex example (``services.planning.plan_case``) with the instrumentation and without it
   (the same function minus the timing and the histogram), alternated, 400 runs each: medians; and the cost
   of one ``plan_timed`` call alone.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def _fill(url: str, count: int) -> None:
    from sqlalchemy import insert

    from readout.adapters.sql import create_engine_from_url, migrate
    from readout.adapters.sql.tables import effects, escalations, holds

    engine = create_engine_from_url(url)
    migrate(engine)
    states = ("planned", "held", "exception_requested", "confirmed", "cancelled")
    rows_e, rows_h, rows_f = [], [], []
    for n in range(count):
        esc = f"ESC-{n:06d}"
        opened = NOW - timedelta(days=n % 30)
        rows_e.append(
            {"id": esc, "case_digest": "d", "case_version": 1, "customer_id": "c", "opened_at": opened,
             "state": states[n % len(states)], "version": 1, "audit_seq": 0, "audit_head": "h"}
        )  # fmt: skip
        for k, (status, expires) in enumerate(
            (("live", NOW + timedelta(hours=5)), ("released", NOW), ("live", NOW - timedelta(minutes=n % 60)))
        ):
            start = NOW + timedelta(days=2, hours=k)
            rows_h.append(
                {"uid": f"{esc}/{k}", "escalation_id": esc, "slot_start": start,
                 "slot_end": start + timedelta(hours=1), "calendar": "cal", "placed_at": opened,
                 "expires_at": expires, "status": status}
            )  # fmt: skip
        for k, status in enumerate(("done", "done", "done", "pending", "failed")):
            rows_f.append(
                {"escalation_id": esc, "kind": "place_hold", "key": f"{esc}:{k}", "payload": {},
                 "created_at": opened, "status": status, "attempts": 1, "result": {}}
            )  # fmt: skip
    with engine.begin() as connection:
        connection.execute(insert(escalations), rows_e)
        connection.execute(insert(holds), rows_h)
        connection.execute(insert(effects), rows_f)
    engine.dispose()


def _scrape_cost(url: str, count: int) -> dict[str, Any]:
    from readout.adapters.memory.hold_calendar import MemoryHoldCalendar
    from readout.adapters.sql import SqlUnitOfWork, create_engine_from_url
    from readout.observability import exposition, registry_for
    from readout.services.context import Deps

    _fill(url, count)
    engine = create_engine_from_url(url)
    deps = Deps(
        uow=lambda: SqlUnitOfWork(engine),
        view=lambda: SqlUnitOfWork(engine, read_only=True),
        reader=None,  # type: ignore[arg-type]
        holds=MemoryHoldCalendar(),
        clock=lambda: NOW,
        cases=None,  # type: ignore[arg-type]
    )
    registry = registry_for(lambda: deps)
    exposition(registry)  # warm the pool
    times = []
    for _ in range(30):
        started = time.perf_counter()
        body = exposition(registry)
        times.append(time.perf_counter() - started)
    assert b"readout_escalations" in body
    engine.dispose()
    return {"escalations": count, "median_ms": _ms(statistics.median(times)), "p95_ms": _ms(_p95(times))}


def _plan_cost(runs: int) -> dict[str, Any]:
    from readout.adapters.casefile.loader import load_case
    from readout.adapters.ics.files import IcsFileReader
    from readout.observability import plan_timed
    from readout.services import planning

    loaded = load_case(ROOT / "examples" / "globex-sso-outage" / "case.yaml")
    when = datetime(2026, 11, 12, 15, tzinfo=UTC)
    reader = IcsFileReader()
    with_metrics: Callable[[], object] = lambda: planning.plan_case(loaded, reader, when)  # noqa: E731
    without: Callable[[], object] = lambda: planning._plan_case(loaded, reader, when, 10.0)  # noqa: E731
    for _ in range(20):
        with_metrics(), without()
    timed: dict[str, list[float]] = {"with": [], "without": []}
    for _ in range(runs):
        for name, call in (("with", with_metrics), ("without", without)):
            started = time.perf_counter()
            call()
            timed[name].append(time.perf_counter() - started)
    calls = 100_000
    started = time.perf_counter()
    for _ in range(calls):
        plan_timed("ready", 0.01)
    one_call = (time.perf_counter() - started) / calls
    return {
        "runs": runs,
        "with_median_ms": _ms(statistics.median(timed["with"])),
        "without_median_ms": _ms(statistics.median(timed["without"])),
        "plan_timed_us": round(one_call * 1e6, 2),
    }


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _p95(values: list[float]) -> float:
    return sorted(values)[int(0.95 * (len(values) - 1))]


@contextmanager
def _postgres() -> Iterator[str]:
    sys.path.insert(0, str(ROOT))
    from tests.support.postgres import throwaway_postgres

    with throwaway_postgres() as url:
        yield url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--escalations", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--postgres", action="store_true", help="also on a throwaway PostgreSQL")
    parser.add_argument("--runs", type=int, default=400)
    args = parser.parse_args(argv)
    print("plan_case (Globex), instrumented vs not:", _plan_cost(args.runs))
    for count in args.escalations:
        with tempfile.TemporaryDirectory() as folder:
            print("scrape, SQLite:", _scrape_cost(f"sqlite:///{Path(folder) / 'store.db'}", count))
    if args.postgres:
        with _postgres() as server:
            from sqlalchemy import text
            from sqlalchemy.engine import make_url

            from readout.adapters.sql import create_engine_from_url

            admin = create_engine_from_url(server, isolation_level="AUTOCOMMIT")
            for count in args.escalations:
                name = f"metrics_bench_{count}"
                with admin.connect() as connection:
                    connection.execute(text(f"CREATE DATABASE {name}"))
                url = make_url(server).set(database=name).render_as_string(hide_password=False)
                print("scrape, PostgreSQL:", _scrape_cost(url, count))
            admin.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
