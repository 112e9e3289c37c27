"""The runs of rejected starts a plan entry records (services/escalations.py ``_runs``) read exactly as
``utc_text`` writes an instant, whatever the starts: numpy formats them at once, and must agree."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from readout.domain.intervals import from_micros, utc_text
from readout.services.escalations import _runs

MINUTE = 60_000_000
STEP = 15 * MINUTE
# whole minutes from 1970 to 2999, as the planner's grid has them
MINUTES = st.integers(min_value=0, max_value=(2999 - 1970) * 365 * 24 * 60)


@given(st.lists(MINUTES, min_size=1, max_size=60, unique=True))
def test_runs_cover_the_starts_and_write_them_as_utc_text(minutes: list[int]) -> None:
    starts = np.array(sorted(m * MINUTE for m in minutes), dtype=np.int64)
    runs = _runs(starts, STEP)

    expanded = []
    for first, count in runs:
        at = next(int(s) for s in starts if utc_text(from_micros(int(s))) == first)
        expanded += [at + k * STEP for k in range(count)]
    assert expanded == starts.tolist()
    assert all(
        first == utc_text(from_micros(int(s))) for (first, _), s in zip(runs, _firsts(starts), strict=True)
    )


def _firsts(starts: np.ndarray) -> list[int]:
    return [int(s) for i, s in enumerate(starts) if i == 0 or starts[i] - starts[i - 1] != STEP]
