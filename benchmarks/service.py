"""The service era: re-planning in one long-running process (``python -m benchmarks.service``).

On a generated case (12x100x15i5), in process, through the production calendar reader
(``bootstrap.calendar_reader``: local files routed to ``IcsFileReader``) and the planning service
(``services.planning.plan_case``), with the case file loaded once as a service holds it:

- *cold*: the calendar cache emptied before each run (the first plan of a process: every calendar parsed);
- *warm*: nothing changed, the clock 30 s later each run (so the planning window moves, as it does);
- *one changed*: before each run one attendee's calendar file gets another event (a new digest), then plan;
- *before*: the same three with the cache switched off (``BusyCache(max_entries=0)``: each read parses the
  window alone, exactly as before the cache existed).

Every cached plan is checked equal to the uncached plan of the same inputs and clock.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.generate import Shape, generate
from benchmarks.timing import Stats, repeat

__all__ = ["measure_service"]

STEP = timedelta(seconds=30)
EXTRA = """BEGIN:VEVENT\r
UID:bench-change-{n}@readout\r
DTSTART:20261103T{hour:02d}0000Z\r
DTEND:20261103T{hour:02d}3000Z\r
END:VEVENT\r
END:VCALENDAR\r
"""


@dataclass
class _Service:
    """A case loaded once, the production reader, and a clock that moves on."""

    loaded: Any
    reader: Any
    now: datetime
    changed: Path
    original: bytes
    runs: int = 0

    def plan(self) -> Any:
        from readout.services.planning import plan_case

        return plan_case(self.loaded, self.reader, self.now, 600.0).plan

    def tick(self) -> _Service:
        self.runs += 1
        self.now += STEP
        return self

    def change_one(self) -> _Service:
        """Another event in one attendee's calendar: new bytes, new digest."""
        self.tick()
        extra = EXTRA.format(n=self.runs, hour=self.runs % 24).encode()
        self.changed.write_bytes(self.original.replace(b"END:VCALENDAR\r\n", extra, 1))
        return self


@contextmanager
def _cache(enabled: bool) -> Iterator[Any]:
    from readout.adapters.ics.cache import DEFAULT_MAX_ENTRIES, shared_cache

    cache = shared_cache()
    saved = cache.max_entries
    cache.max_entries = DEFAULT_MAX_ENTRIES if enabled else 0
    cache.clear()
    try:
        yield cache
    finally:
        cache.max_entries = saved
        cache.clear()


def _service(path: Path, now: datetime) -> _Service:
    from readout import bootstrap
    from readout.adapters.casefile.loader import load_case

    loaded = load_case(path)
    reader = bootstrap.calendar_reader(bootstrap.settings({"READOUT_SOURCE_TIMEOUT": "600"}))
    person = next(pid for pid, p in loaded.case.people.items() if p.has_calendar)
    changed = Path(str(loaded.calendars[person]))
    return _Service(loaded, reader, now, changed, changed.read_bytes())


def measure_service(
    shape: Shape, folder: Path, budget: float = 4.0, max_runs: int = 200, log: Callable[[str], None] = print
) -> dict[str, Any]:
    """Cold, warm and one-changed re-plans with the cache on and off; plans checked equal."""
    generated = generate(shape)
    path = generated.write(folder / f"service-{shape.name}")
    result: dict[str, Any] = {"case": shape.name}
    for label, enabled in (("before", False), ("after", True)):
        service = _service(path, generated.now)
        with _cache(enabled) as cache:

            def cold(enabled: bool = enabled, service: _Service = service) -> _Service:
                cache.clear()
                cache.max_entries = 512 if enabled else 0
                return service.tick()

            few = max(5, max_runs // 10)
            stats: dict[str, Stats] = {
                "cold": repeat(_Service.plan, cold, min_runs=5, max_runs=few, budget=budget),
                "warm": repeat(_Service.plan, service.tick, min_runs=5, max_runs=max_runs, budget=budget / 2),
                "one_changed": repeat(
                    _Service.plan, service.change_one, min_runs=5, max_runs=few, budget=budget
                ),
            }
            result[label] = {name: s.as_json() for name, s in stats.items()}
            if enabled:
                result["cache_entries"], result["cache_intervals"] = len(cache), cache.intervals
                got = service.tick().plan()
                cache.max_entries = 0
                expected = service.plan()
                if got != expected:
                    raise AssertionError(f"{shape.name}: the cached plan differs from the uncached one")
        service.changed.write_bytes(service.original)
        shown = result[label]
        log(
            f"service {label}: cold p50 {shown['cold']['p50_ms']:.1f} ms, warm p95 "
            f"{shown['warm']['p95_ms']:.1f} ms, one changed p95 {shown['one_changed']['p95_ms']:.1f} ms"
        )
    return result


def main(argv: list[str] | None = None) -> int:
    from benchmarks.run import TARGET

    parser = argparse.ArgumentParser(prog="python -m benchmarks.service")
    parser.add_argument("--budget", type=float, default=4.0, help="seconds of timed work per measurement")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="readout-service-") as scratch:
        print(json.dumps(measure_service(TARGET, Path(scratch), args.budget), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
