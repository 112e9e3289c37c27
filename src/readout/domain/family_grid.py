"""The planner's grid re-checked for an explanation: every candidate start with the mask of every family it
breaks, computed by the same families over the same starts as the planner (which keeps only what it needs,
so that planning stays as fast as it was). Every part of a diagnosis reads this one grid.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from numpy.typing import NDArray

from readout.domain.case import Availability, Case
from readout.domain.families import Constraints
from readout.domain.grid import candidate_start_micros
from readout.domain.intervals import Interval
from readout.domain.names import COVERAGE, CUSTOMER_HOURS
from readout.domain.plan import Plan, PlanStatus

__all__ = ["FamilyGrid", "family_grid"]


@dataclass(frozen=True)
class FamilyGrid:
    """The plan's candidate starts (UTC microseconds) with every family's mask (True: the start breaks it), as
    the planner computed them; ``interpreter_busy``: what was read of each interpreter's calendar."""

    starts: NDArray[np.int64]
    ends: NDArray[np.int64]
    masks: dict[str, NDArray[np.bool_]]
    constraints: Constraints
    interpreter_busy: Mapping[str, Availability]

    @property
    def in_hours(self) -> NDArray[np.bool_]:
        """Starts inside support coverage and customer meeting hours (where a readout could be at all)."""
        ok = np.ones(len(self.starts), dtype=bool)
        for family in (COVERAGE, CUSTOMER_HOURS):
            if family in self.masks:
                ok &= ~self.masks[family]
        return ok

    def subset(self, keep: NDArray[np.bool_]) -> FamilyGrid:
        """The starts in ``keep``, with their masks."""
        masks = {f: m[keep] for f, m in self.masks.items()}
        return FamilyGrid(self.starts[keep], self.ends[keep], masks, self.constraints, self.interpreter_busy)

    def only(self, families: set[str]) -> NDArray[np.bool_]:
        """Starts that break exactly ``families`` and nothing else."""
        ok = np.ones(len(self.starts), dtype=bool)
        for family, mask in self.masks.items():
            ok &= mask if family in families else ~mask
        return ok


def family_grid(
    case: Case,
    plan: Plan,
    people: Mapping[str, Availability],
    interpreters: Mapping[str, Availability],
) -> FamilyGrid | None:
    """The grid ``plan`` was made on for ``case`` with the busy time read (``people``, ``interpreters``);
    None when the plan has no grid (not ready, or no window to plan in)."""
    if plan.status is PlanStatus.NOT_READY or plan.earliest_start is None or plan.deadline is None:
        return None
    duration = case.readout.duration
    starts = candidate_start_micros(
        plan.earliest_start, plan.deadline, duration, case.grid_zone, case.granularity
    )
    ends = starts + duration // timedelta(microseconds=1)
    span = Interval(plan.earliest_start, max(plan.earliest_start, plan.deadline))
    constraints = Constraints(case, span, people, interpreters)
    return FamilyGrid(starts, ends, constraints.broken_all(starts, ends), constraints, interpreters)
