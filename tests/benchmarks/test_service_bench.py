"""The service-era benchmark must not rot: on a small generated case it re-plans cold, warm and after one
calendar changed with the calendar cache on and off (its own check: the cached plan equals the uncached one),
and its API measurement plans through the app for concurrent clients."""

from __future__ import annotations

from pathlib import Path

from benchmarks.service import measure_api, measure_service

from benchmarks import generate as cases
from readout.adapters.ics.cache import DEFAULT_MAX_ENTRIES, shared_cache

SMALL = cases.Shape(5, 20, 5, 0, seed=8)


def test_service_bench_measures_and_leaves_the_cache_as_it_found_it(tmp_path: Path) -> None:
    result = measure_service(SMALL, tmp_path, budget=0.05, max_runs=5, log=lambda _: None)
    for label in ("before", "after"):
        assert set(result[label]) == {"cold", "warm", "one_changed"}
        assert all(result[label][name]["n"] >= 5 for name in result[label])
    assert result["cache_entries"] > 0
    assert shared_cache().max_entries == DEFAULT_MAX_ENTRIES


def test_api_bench_plans_for_concurrent_clients(tmp_path: Path) -> None:
    result = measure_api(SMALL, tmp_path, clients=3, rounds=2, log=lambda _: None)
    assert result["requests"] == 6
    assert result["one_client"]["n"] == 2
