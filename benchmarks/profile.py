"""Where the planner spends its time on the 12x100x15 case (five interpreters, the benchmark's seed).

    python -m benchmarks.profile                  # cProfile of plan(): top functions, cumulative and self
    python -m benchmarks.profile --pyinstrument   # the same runs as a pyinstrument call tree
    python -m benchmarks.profile --parse          # reading the case file and calendars (one thread)

Every planning run gets fresh busy maps (as after a calendar change), as in the benchmark's "cold" figure.
cProfile's own overhead inflates functions that are called very often: the totals are larger than the
benchmark's wall-clock figures, the ranking between functions is what to read.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.generate import Shape, generate
from benchmarks.run import TARGET, fresh_call, run_plan
from readout.adapters.casefile.loader import load_case
from readout.adapters.ics.reader import read_blackouts, read_busy
from readout.services.planning import planning_window

__all__ = ["main"]


def _workload(shape: Shape, runs: int, parse: bool, folder: Path) -> Callable[[], None]:
    generated = generate(shape)
    if parse:
        path = generated.write(folder)

        def read() -> None:  # what gather() does, in this thread: profilers only see the thread they run in
            for _ in range(runs):
                loaded = load_case(path)
                window = planning_window(loaded.case, generated.now)
                assert window is not None
                for kind, key in generated.owners.values():
                    zone = loaded.case.customer_zone
                    if kind == "blackouts":
                        read_blackouts(folder / "calendars" / "cab.ics", window=window, zone=zone, cache=None)
                        continue
                    owner = loaded.case.people.get(key) or next(
                        i for i in loaded.case.interpreters if i.id == key
                    )
                    source = folder / "calendars" / f"{key}.ics"
                    read_busy(
                        source,
                        window=window,
                        zone=owner.zone,
                        tentative_is_busy=True,
                        exclude_escalation="x",
                        cache=None,  # the parse is what is profiled
                    )

        return read
    setup = fresh_call(generated.build())
    batches = [setup() for _ in range(runs)]

    def planning() -> None:
        for inputs in batches:
            run_plan(inputs)

    return planning


def _top(stats: pstats.Stats, key: str, count: int, runs: int) -> str:
    """The top ``count`` functions by ``key`` as a table: per-run milliseconds, calls per run."""
    stats.sort_stats(key)
    rows = []
    width = 0
    listing: list[tuple[str, float, float, float]] = []
    shown = [f for f in stats.fcn_list if "/benchmarks/" not in f[0]][:count]  # type: ignore[attr-defined]
    for func in shown:  # the harness's own frames are left out
        calls, _, tottime, cumtime, _ = stats.stats[func]  # type: ignore[attr-defined]
        file, line, name = func
        where = f"{_short(file)}:{line}({name})"
        width = max(width, len(where))
        listing.append((where, calls / runs, tottime * 1e3 / runs, cumtime * 1e3 / runs))
    rows.append(f"{'function':<{width}}  {'calls/run':>10}  {'self ms/run':>11}  {'cum ms/run':>10}")
    for where, calls, self_ms, cum_ms in listing:
        rows.append(f"{where:<{width}}  {calls:>10.0f}  {self_ms:>11.3f}  {cum_ms:>10.3f}")
    return "\n".join(rows)


def _callees(stats: pstats.Stats, name: str, runs: int) -> str:
    """What the function called ``name`` spends its time on: each direct callee's cumulative time per run."""
    table = stats.stats  # type: ignore[attr-defined]
    parent = next((f for f in table if f[2] == name and "/readout/" in f[0]), None)
    if parent is None:
        return f"({name} not found)"
    edges = []
    for func, (*_, callers) in table.items():
        if parent in callers:
            _, calls, _, cumtime = callers[parent]
            edges.append((cumtime * 1e3 / runs, calls / runs, f"{_short(func[0])}:{func[1]}({func[2]})"))
    edges.sort(reverse=True)
    width = max(len(e[2]) for e in edges)
    rows = [f"{'callee':<{width}}  {'calls/run':>10}  {'cum ms/run':>10}"]
    rows += [f"{where:<{width}}  {calls:>10.0f}  {cum:>10.3f}" for cum, calls, where in edges]
    return "\n".join(rows)


def _short(file: str) -> str:
    for marker in ("/src/", "/site-packages/", "/lib/python3"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=None, help="planning runs (default 200; parse: 3)")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--pyinstrument", action="store_true", help="print a pyinstrument call tree instead")
    parser.add_argument("--parse", action="store_true", help="profile reading the case file and calendars")
    args = parser.parse_args(argv)
    runs = args.runs or (3 if args.parse else 200)
    with tempfile.TemporaryDirectory(prefix="readout-profile-") as scratch:
        work = _workload(TARGET, runs, args.parse, Path(scratch))
        work()  # warm up: imports, caches
        what = "load_case + read_busy of every calendar" if args.parse else "plan()"
        print(f"{TARGET.name} seed {TARGET.seed}: {what}, {runs} runs")
        if args.pyinstrument:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0002)
            profiler.start()
            work()
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False))
            return 0
        started = time.perf_counter()
        work()
        plain = (time.perf_counter() - started) / runs
        profile = cProfile.Profile()
        profile.enable()
        work()
        profile.disable()
    stats = pstats.Stats(profile, stream=io.StringIO())
    total = stats.total_tt / runs  # type: ignore[attr-defined]
    print(
        f"wall clock without the profiler: {plain * 1e3:.3f} ms a run; under cProfile {total * 1e3:.3f} ms\n"
    )
    print(f"Top {args.top} by cumulative time\n{_top(stats, 'cumulative', args.top, runs)}\n")
    print(f"Top {args.top} by self time\n{_top(stats, 'tottime', args.top, runs)}")
    if not args.parse:
        print(f"\nStages: what plan() calls directly\n{_callees(stats, 'plan', runs)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
