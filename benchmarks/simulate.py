"""What a simulation costs (docs/simulation.md): ``python -m benchmarks.simulate [--escalations N] [--weeks W]
[--seed S] [--repeat R] [--profile]``.

``measure_simulation`` runs the baseline of ``readout simulate`` (``readout.simulation.simulate``) on a
fresh SQLite file in a temporary folder, R times, and reports wall-clock and CPU seconds (this process's CPU
time, all threads: the figure that does not depend on what else the machine runs), the escalations per second
and what the run did. The issue's target: 500 escalations over 12 weeks in under 60 seconds on SQLite.
``--profile`` writes a pyinstrument profile of one run to ``benchmarks/simulate-profile.txt``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["TARGET_SECONDS", "measure_simulation"]

TARGET_SECONDS = 60.0
ROOT = Path(__file__).resolve().parents[1]


def measure_simulation(
    escalations: int = 500, weeks: int = 12, seed: int = 1, repeat: int = 1
) -> dict[str, Any]:
    """Time ``repeat`` baseline runs of ``escalations`` incidents over ``weeks`` weeks on SQLite: median wall
    and CPU seconds, each run's figures, and whether the median wall time is under ``TARGET_SECONDS``."""
    from readout.simulation import SimulationOptions, simulate

    runs: list[dict[str, Any]] = []
    for n in range(repeat):
        with tempfile.TemporaryDirectory(prefix="readout-simulate-bench-") as folder:
            options = SimulationOptions(escalations, weeks, seed, store=Path(folder) / f"run{n}.sqlite3")
            wall, cpu = time.perf_counter(), time.process_time()
            result = simulate(options)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        overall = result.variants[0].report.get("overall", {})
        runs.append(
            {
                "wall_s": round(wall, 2),
                "cpu_s": round(cpu, 2),
                "escalations_per_s": round(escalations / wall, 1),
                "confirmed": overall.get("first_pass", {}).get("confirmed"),
                "events": result.variants[0].stats.get("events", {}),
                "cpu_s_by_event": result.variants[0].stats.get("cpu_s", {}),
            }
        )
    wall_median = statistics.median(r["wall_s"] for r in runs)
    return {
        "escalations": escalations,
        "weeks": weeks,
        "seed": seed,
        "store": "sqlite",
        "wall_s": wall_median,
        "cpu_s": statistics.median(r["cpu_s"] for r in runs),
        "target_s": TARGET_SECONDS,
        "within_target": wall_median < TARGET_SECONDS,
        "runs": runs,
    }


def _profile(escalations: int, weeks: int, seed: int) -> Path:
    from pyinstrument import Profiler

    from readout.simulation import SimulationOptions, simulate

    out = ROOT / "benchmarks" / "simulate-profile.txt"
    with tempfile.TemporaryDirectory(prefix="readout-simulate-profile-") as folder:
        profiler = Profiler()
        with profiler:
            simulate(SimulationOptions(escalations, weeks, seed, store=Path(folder) / "profile.sqlite3"))
    out.write_text(profiler.output_text(unicode=False, color=False, show_all=False))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.simulate", description=__doc__)
    parser.add_argument("--escalations", type=int, default=500)
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="also write a pyinstrument profile of one run")
    args = parser.parse_args(argv)
    print(json.dumps(measure_simulation(args.escalations, args.weeks, args.seed, args.repeat), indent=2))
    if args.profile:
        print(f"profile: {_profile(args.escalations, args.weeks, args.seed)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
