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


def settled(folder: Path) -> None:
    """Dates the generated calendars an hour back and lets them settle, as a service's calendars are: written
    minutes or days before a request, not in the same second (a file changed in the last two seconds is read
    and hashed on every plan: adapters/ics/file_digests.py)."""
    import os
    import time

    from readout.adapters.ics.file_digests import shared_digests

    past = time.time() - 3600
    for file in folder.rglob("*.ics"):
        os.utime(file, (past, past))
    time.sleep(shared_digests().settle)  # setting the times changed the files' status (ctime) just now


def measure_service(
    shape: Shape, folder: Path, budget: float = 4.0, max_runs: int = 200, log: Callable[[str], None] = print
) -> dict[str, Any]:
    """Cold, warm and one-changed re-plans with the cache on and off; plans checked equal."""
    generated = generate(shape)
    path = generated.write(folder / f"service-{shape.name}")
    settled(path.parent)
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


def measure_api(
    shape: Shape,
    folder: Path,
    clients: int = 20,
    rounds: int = 10,
    log: Callable[[str], None] = print,
    pace: float = 1.0,
) -> dict[str, Any]:
    """``POST /v1/escalations/{id}/plan`` from ``clients`` concurrent clients, ``rounds`` requests each:
    *paced* (the figure judged), each client sending one request every ``pace`` seconds, their phases spread
    evenly, each time counted from when the request was due; and *saturated*, each client sending its next
    request as soon as the last is answered (the throughput, whose latency is clients / throughput).
    Against the FastAPI app in process over httpx's ASGI transport, on a SQLite store; the sign-in is
    replaced by a fixed principal (signing in is not what is measured). Each request re-plans from the
    stored case document and reads every calendar through the production reader and its cache."""
    import asyncio
    import time

    import httpx

    from readout.adapters.casefile.document import parse_yaml
    from readout.adapters.ics.cache import shared_cache
    from readout.domain.users import Role, User
    from readout.entrypoints.http.app import create_app
    from readout.entrypoints.http.auth import Principal, principal

    generated = generate(shape)
    name = f"api-{shape.name}"
    path = generated.write(folder / name)
    settled(path.parent)
    document: dict[str, Any] = parse_yaml(path.read_text())

    def rooted(holder: dict[str, Any]) -> None:
        if isinstance(holder.get("calendar"), str):
            holder["calendar"] = f"{name}/{holder['calendar']}"

    for person in document.get("people", {}).values():
        rooted(person)
    for interpreter in document.get("interpreters", []):
        rooted(interpreter)
    for block in document.get("customer", {}).get("cab_blackouts", []):
        rooted(block)
    document.pop("now", None)
    environ = {
        "READOUT_DATABASE_URL": f"sqlite:///{folder / 'api.db'}",
        "READOUT_CALENDAR_ROOT": str(folder),
        "READOUT_SOURCE_TIMEOUT": "600",
    }
    app = create_app(now=generated.now, environ=environ)
    user = User("bench", "Bench Operator", "bench@provider.example", frozenset(Role))
    with app.state.deps.uow() as uow:
        uow.users.put(user)
        uow.commit()
    app.dependency_overrides[principal] = lambda: Principal(user, "token", frozenset({"read", "write"}), None)
    ids = [f"ESC-{90000 + n}" for n in range(clients)]  # one escalation per client: re-plans of the same
    # escalation at the same moment are refused (409) by design, and retrying them would measure the retries
    shared_cache().clear()

    async def run() -> tuple[list[float], float]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for escalation in ids:
                body = {**document, "escalation": {**document["escalation"], "id": escalation}}
                opened = await client.post("/v1/escalations", json=body)
                if opened.status_code not in (200, 201):
                    raise AssertionError(f"opening {escalation}: {opened.status_code} {opened.text[:300]}")
            times: list[float] = []

            async def one_client(escalation: str) -> None:
                for _ in range(rounds):
                    start = time.perf_counter()
                    answer = await client.post(f"/v1/escalations/{escalation}/plan", json={})
                    times.append(time.perf_counter() - start)
                    if answer.status_code != 200:
                        raise AssertionError(f"plan: {answer.status_code} {answer.text[:300]}")

            async def paced_client(escalation: str, phase: float, began: float) -> None:
                # open loop: the n-th request is due at began + phase + n * pace, and its time is counted
                # from then, so a late start counts against the server (no coordinated omission)
                for n in range(rounds):
                    due = began + phase + n * pace
                    await asyncio.sleep(max(0.0, due - time.perf_counter()))
                    answer = await client.post(f"/v1/escalations/{escalation}/plan", json={})
                    paced.append(time.perf_counter() - due)
                    if answer.status_code != 200:
                        raise AssertionError(f"plan: {answer.status_code} {answer.text[:300]}")

            await one_client(ids[0])  # warm-up
            times.clear()
            await one_client(ids[0])  # one client alone: the cost of a request without queueing
            alone.extend(times)
            times.clear()
            began = time.perf_counter()
            await asyncio.gather(*(one_client(escalation) for escalation in ids))
            wall = time.perf_counter() - began
            began = time.perf_counter()
            await asyncio.gather(
                *(paced_client(escalation, n * pace / clients, began) for n, escalation in enumerate(ids))
            )
            return times, wall

    alone: list[float] = []
    paced: list[float] = []
    times, wall = asyncio.run(run())
    stats, single, steady = Stats(tuple(times)), Stats(tuple(alone)), Stats(tuple(paced))
    result = {
        **steady.as_json(),
        "clients": clients,
        "pace_s": pace,
        "requests": len(paced),
        "one_client": single.as_json(),
        "saturated": {**stats.as_json(), "requests": len(times), "per_second": len(times) / wall},
        "transport": "httpx ASGITransport, in process",
    }
    log(
        f"API plan: one client p50 {single.p50 * 1e3:.0f} ms; {clients} clients each every {pace:g} s: p50 "
        f"{steady.p50 * 1e3:.0f} ms, p95 {steady.p95 * 1e3:.0f} ms; {clients} clients back to back: p50 "
        f"{stats.p50 * 1e3:.0f} ms, p95 {stats.p95 * 1e3:.0f} ms, {len(times) / wall:.0f} requests/s"
    )
    return result


def main(argv: list[str] | None = None) -> int:
    from benchmarks.run import TARGET

    parser = argparse.ArgumentParser(prog="python -m benchmarks.service")
    parser.add_argument("--budget", type=float, default=4.0, help="seconds of timed work per measurement")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="readout-service-") as scratch:
        folder = Path(scratch)
        result = measure_service(TARGET, folder, args.budget)
        result["api"] = measure_api(TARGET, folder)
        print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
