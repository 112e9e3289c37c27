"""The benchmark must not rot: its generator, its four peers and the planner agree on small cases.

A generated case written as files and read back by the production adapters equals the same case built
directly (two independent expansions of the same calendars), and every peer finds exactly the planner's
compliant starts. Small enough to run with the rest of the suite (a few seconds).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks import generate as cases
from benchmarks import peers

SHAPES = [
    cases.Shape(5, 20, 5, 3, seed=8),  # the benchmark's seed: Mexico City customer, interpreters
    cases.Shape(5, 20, 5, 2, seed=3, granularity=30),  # Dublin coverage: grid across the end of summer time
    cases.Shape(5, 20, 5, 0, seed=14, granularity=5),  # New York 24x5 coverage: days join into one window
    cases.Shape(4, 20, 4, 0, seed=12, granularity=10),  # London customer
]


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s.name}-seed{s.seed}-g{s.granularity}")
def test_files_read_back_as_the_direct_build_and_every_peer_agrees_with_the_planner(
    shape: cases.Shape, tmp_path: Path
) -> None:
    generated = cases.generate(shape)
    parsed = cases.load_inputs(generated.write(tmp_path))

    assert parsed == generated.build()
    expected = peers.planner_starts(parsed)
    assert expected, "the case should have compliant slots, or agreement proves little"
    for name, peer in peers.PEERS.items():
        assert peer(parsed) == expected, name


def test_the_floor_is_the_union_of_every_family_interval() -> None:
    inputs = cases.generate(SHAPES[0]).build()
    starts, ends = peers.floor(inputs)

    pairs = peers.merge(p for fam in peers.prepare(inputs).families() for p in fam)
    touching = peers.merge(pairs)  # merge joins touching pairs; the floor joins only overlapping ones
    assert len(starts) >= len(touching)
    assert np.all(starts[1:] > ends[:-1])
    assert (int(starts[0]), int(ends[-1])) == (pairs[0][0], pairs[-1][1])


def test_filler_grows_the_intervals_but_not_the_answer() -> None:
    generated = cases.generate(SHAPES[0])
    base = generated.build()
    grown = cases.with_filler(generated, base, 200)

    assert grown.busy_intervals > base.busy_intervals + 200
    assert peers.planner_starts(grown) == peers.planner_starts(base)
    assert peers.range_subtraction(grown) == peers.planner_starts(base)
