"""Which slots of a plan may be held and confirmed: compliant ones, and near misses fully waived."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from readout.domain.exception_requests import NearMissOption, Waiver
from readout.domain.intervals import Interval
from readout.domain.plan import Plan

__all__ = ["Eligible", "eligible_slots", "near_miss_options", "nearest", "spread"]


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


def spread(
    ranked: list[Eligible], count: int, zone: ZoneInfo, kept: Iterable[Interval] = ()
) -> list[Eligible]:
    """Up to ``count`` slots of ``ranked`` (best first) to hold, spread out: first slots on days (in ``zone``)
    that no slot kept or chosen is on, then slots overlapping none of them, then any (best-ranked first within
    each preference). ``kept`` (e.g. live holds) count towards ``count`` and their days and times are taken.
    The result is in rank order; the same input always gives the same choice."""
    taken = list(kept)
    wanted = count - len(taken)
    chosen: set[int] = set()

    def new_day(slot: Interval) -> bool:
        days = {t.start.astimezone(zone).date() for t in taken}
        return slot.start.astimezone(zone).date() not in days and apart(slot)

    def apart(slot: Interval) -> bool:
        return not any(slot.overlaps(t) for t in taken)

    def anywhere(slot: Interval) -> bool:
        return True

    for fits in (new_day, apart, anywhere):
        for index, option in enumerate(ranked):
            if len(chosen) >= wanted:
                break
            if index not in chosen and option.slot not in taken and fits(option.slot):
                chosen.add(index)
                taken.append(option.slot)
    return [ranked[i] for i in sorted(chosen)]


def nearest(ranked: list[Eligible], start: datetime, limit: int = 5) -> list[Eligible]:
    """The ``limit`` eligible slots starting nearest ``start`` (then earliest), in time order."""
    closest = sorted(ranked, key=lambda e: (abs(e.slot.start - start), e.slot.start))[:limit]
    return sorted(closest, key=lambda e: e.slot.start)
