"""Which slots of a stored plan may be held and confirmed: compliant ones, and near misses fully waived."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from readout.domain.exception_requests import NearMissOption, Waiver
from readout.domain.intervals import Interval

__all__ = ["Eligible", "eligible_slots", "near_miss_options", "parse_utc"]


def parse_utc(text: str) -> datetime:
    """Parse the plan JSON's ``YYYY-MM-DDTHH:MM:SSZ``."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _slot(item: dict[str, Any]) -> Interval:
    return Interval(parse_utc(item["start"]), parse_utc(item["end"]))


@dataclass(frozen=True)
class Eligible:
    """A slot that may be held: compliant (no waivers) or a near miss whose every waiver is recorded."""

    slot: Interval
    interpreter: str | None
    waivers: tuple[str, ...] = ()


def near_miss_options(plan: dict[str, Any], limit: int | None = None) -> tuple[NearMissOption, ...]:
    """The plan's near misses as exception-request options (fewest waivers first, then earliest)."""
    options = [
        NearMissOption(_slot(n), tuple(n["waivers"]), n.get("interpreter"))
        for n in plan.get("near_misses", [])
    ]
    options.sort(key=lambda o: (len(o.waivers), o.slot.start))
    return tuple(options if limit is None else options[:limit])


def eligible_slots(plan: dict[str, Any], waivers: Iterable[Waiver]) -> list[Eligible]:
    """Compliant candidates in rank order, then near misses whose waivers are all on record (by start)."""
    granted = {(w.slot, w.family) for w in waivers}
    out = [Eligible(_slot(c), c.get("interpreter")) for c in plan.get("candidates", [])]
    for miss in plan.get("near_misses", []):
        slot = _slot(miss)
        if all((slot, family) in granted for family in miss["waivers"]):
            out.append(Eligible(slot, miss.get("interpreter"), tuple(miss["waivers"])))
    return out
