"""Which slots of a plan may be held and confirmed: compliant ones, and near misses fully waived."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from readout.domain.exception_requests import NearMissOption, Waiver
from readout.domain.intervals import Interval
from readout.domain.plan import Plan

__all__ = ["Eligible", "eligible_slots", "near_miss_options"]


@dataclass(frozen=True)
class Eligible:
    """A slot that may be held: compliant (no waivers) or a near miss whose every waiver is recorded."""

    slot: Interval
    interpreter: str | None
    waivers: tuple[str, ...] = ()


def near_miss_options(plan: Plan, limit: int | None = None) -> tuple[NearMissOption, ...]:
    """The plan's near misses as exception-request options (fewest waivers first, then earliest)."""
    options = [NearMissOption(Interval(n.start, n.end), n.waivers, n.interpreter) for n in plan.near_misses]
    options.sort(key=lambda o: (len(o.waivers), o.slot.start))
    return tuple(options if limit is None else options[:limit])


def eligible_slots(plan: Plan, waivers: Iterable[Waiver]) -> list[Eligible]:
    """Compliant candidates in rank order, then near misses whose waivers are all on record (by start)."""
    granted = {(w.slot, w.family) for w in waivers}
    out = [Eligible(Interval(c.start, c.end), c.interpreter) for c in plan.candidates]
    for miss in plan.near_misses:
        slot = Interval(miss.start, miss.end)
        if all((slot, family) in granted for family in miss.waivers):
            out.append(Eligible(slot, miss.interpreter, miss.waivers))
    return out
