"""``readout simulate``: a seeded support organisation receiving incidents over weeks, driving the real
workflow services and store on a virtual clock, and the outcome report of the store it leaves
(docs/simulation.md)."""

from __future__ import annotations

from readout.simulation.cases import Policy
from readout.simulation.runner import (
    BASELINE,
    START,
    VARIANTS,
    SimulationOptions,
    SimulationResult,
    VariantResult,
    simulate,
    store_paths,
)

__all__ = [
    "BASELINE",
    "START",
    "VARIANTS",
    "Policy",
    "SimulationOptions",
    "SimulationResult",
    "VariantResult",
    "simulate",
    "store_paths",
]
