"""Measuring: repeated wall-clock timings with p50/p95, peak memory, and ``readout plan`` as a subprocess."""

from __future__ import annotations

import atexit
import gc
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

__all__ = [
    "Run",
    "Stats",
    "peak_bytes",
    "readout_plan",
    "readout_plan_peak",
    "repeat",
    "startup",
    "startup_peak",
]

T = TypeVar("T")


@dataclass(frozen=True)
class Stats:
    """Timings of one measurement, in seconds."""

    runs: tuple[float, ...]

    @property
    def n(self) -> int:
        return len(self.runs)

    @property
    def p50(self) -> float:
        ordered = sorted(self.runs)
        mid = len(ordered) // 2
        return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2

    @property
    def p95(self) -> float:
        """Nearest rank: with fewer than 20 runs this is the slowest run."""
        ordered = sorted(self.runs)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]

    def as_json(self) -> dict[str, Any]:
        return {
            "p50_ms": self.p50 * 1e3,
            "p95_ms": self.p95 * 1e3,
            "min_ms": min(self.runs) * 1e3,
            "max_ms": max(self.runs) * 1e3,
            "n": self.n,
        }


def repeat(
    work: Callable[[T], object],
    setup: Callable[[], T],
    *,
    min_runs: int,
    max_runs: int,
    budget: float,
    warmup: int = 1,
) -> Stats:
    """Time ``work(setup())`` with ``time.perf_counter``: at least ``min_runs`` times, then more while the
    ``budget`` (seconds of timed work) lasts, at most ``max_runs``. ``setup`` is not timed. The garbage
    collector stays on: a collection that falls inside a run is part of what a caller would wait for."""
    for _ in range(warmup):
        work(setup())
    runs: list[float] = []
    spent = 0.0
    gc.collect()  # once: the garbage of earlier measurements is not billed to this one
    while len(runs) < max_runs and (len(runs) < min_runs or spent < budget):
        arg = setup()
        start = time.perf_counter()
        work(arg)
        runs.append(time.perf_counter() - start)
        spent += runs[-1]
    return Stats(tuple(runs))


def peak_bytes(work: Callable[[], object]) -> int:
    """Peak Python heap allocated while ``work`` runs (tracemalloc; native allocations are not seen)."""
    gc.collect()
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@dataclass(frozen=True)
class Run:
    """One subprocess run: wall time and its JSON output (if it printed JSON)."""

    seconds: float
    output: Any


def _bin(name: str) -> str:
    return str(Path(sys.prefix) / "bin" / name)


# Children cache their bytecode as an installed program would (this sandbox sets PYTHONDONTWRITEBYTECODE,
# which would make every run compile the package again), in a folder of their own rather than in src/.
_PYCACHE = tempfile.mkdtemp(prefix="readout-bench-pycache-")
atexit.register(shutil.rmtree, _PYCACHE, True)


def _environment(extra: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = _PYCACHE
    return {**env, **extra}


def _run(argv: Sequence[str], extra: Mapping[str, str] | None = None) -> tuple[float, str, str]:
    """Run ``argv`` to completion (``extra`` added to the environment): wall seconds, stdout, stderr."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        code = subprocess.call(argv, stdout=out, stderr=err, env=_environment(extra or {}))
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        text, problem = out.read().decode(), err.read().decode(errors="replace")
    if code != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {code}: {problem[-2000:]}")
    return seconds, text, problem


def readout_plan(case: Path, now: str, settings: Mapping[str, str] | None = None) -> Run:
    """``readout plan CASE --json --now NOW`` in a fresh interpreter, as a user runs it (``settings``: extra
    ``READOUT_*`` environment variables)."""
    seconds, text, _ = _run([_bin("readout"), "plan", str(case), "--json", "--now", now], settings)
    return Run(seconds, json.loads(text))


def startup(code: str) -> Run:
    """A fresh interpreter running ``code`` (start-up and import cost)."""
    seconds, _, _ = _run([_bin("python"), "-c", code])
    return Run(seconds, None)


# The peak RSS of a child cannot come from wait4/getrusage: a child forked from this (large) process starts
# with its parent's pages counted, and exec keeps that high-water mark. VmHWM in /proc/self/status is the
# high-water mark of the memory map exec made, so the child reports it itself when it exits.
_HWM = (
    "import atexit, sys\n"
    "atexit.register(lambda: sys.stderr.write('\\nVmHWM ' + "
    "next(line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM')) + '\\n'))\n"
)
_CLI = "from readout.entrypoints.cli import main\nsys.argv[0] = 'readout'\nsys.exit(main())\n"


def _peak(argv: Sequence[str], settings: Mapping[str, str] | None = None) -> int:
    _, _, err = _run(argv, settings)
    kib = next(line.split()[1] for line in reversed(err.splitlines()) if line.startswith("VmHWM "))
    return int(kib) * 1024


def readout_plan_peak(case: Path, now: str, settings: Mapping[str, str] | None = None) -> int:
    """Peak resident set size (bytes) of ``readout plan CASE --json --now NOW`` (the CLI's own ``main``)."""
    return _peak([_bin("python"), "-c", _HWM + _CLI, "plan", str(case), "--json", "--now", now], settings)


def startup_peak(code: str) -> int:
    """Peak resident set size (bytes) of a fresh interpreter running ``code``."""
    return _peak([_bin("python"), "-c", _HWM + code])
