"""Ranking of compliant slots: a deterministic score a program manager can follow.

score = 0.30 * earliness + 0.40 * local comfort + 0.20 * buffer + 0.10 * optional attendees free

- earliness: 1 for the first possible start, 0 for the last; earlier is safer against the deadline.
- local comfort: per attendee (role holders and the interpreter), in their own time zone:
  1.0 inside 09:00-17:00 on a weekday, 0.75 inside 08:00-18:00, 0.4 inside 07:00-20:00 (the 07:00 or
  20:00 edges are penalised), 0 otherwise or on their weekend. Averaged, half by mean and half by the worst.
- buffer: distance to the nearest CAB blackout or protected handoff window, full marks at two hours.
- optional attendees: share of them who are free (1 when there are none).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from readout.domain.families import Constraints
from readout.domain.intervals import Interval

__all__ = ["WEIGHTS", "Scored", "comfort_of", "score_slot"]

WEIGHTS = {"earliness": 0.30, "comfort": 0.40, "buffer": 0.20, "optional": 0.10}
_FULL_BUFFER = timedelta(hours=2)
# (tier value, first minute, last minute) in local wall time, best first.
_TIERS = ((1.0, 9 * 60, 17 * 60), (0.75, 8 * 60, 18 * 60), (0.4, 7 * 60, 20 * 60))


@dataclass(frozen=True)
class Scored:
    """A score in [0, 1] and the reasons a person can read."""

    score: float
    why: tuple[str, ...]


def comfort_of(slot: Interval, zone: ZoneInfo) -> float:
    """How kind the slot is to someone living in ``zone`` (see the module docstring)."""
    start = slot.start.astimezone(zone)
    end = slot.end.astimezone(zone)
    if start.weekday() >= 5:
        return 0.0
    first = start.hour * 60 + start.minute
    last = first + int((end - start).total_seconds() // 60)
    for value, lo, hi in _TIERS:
        if lo <= first and last <= hi:
            return value
    return 0.0


def _fmt_gap(gap: timedelta) -> str:
    hours, rem = divmod(int(gap.total_seconds()) // 60, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{days}d"] if days else []
    parts += [f"{hours}h"] if hours else []
    parts += [f"{rem}m"] if rem or not parts else []
    return " ".join(parts)


def score_slot(
    slot: Interval,
    interpreter_zone: tuple[str, ZoneInfo] | None,
    constraints: Constraints,
    earliest: datetime,
    deadline: datetime,
) -> Scored:
    """Score one compliant slot and explain the score."""
    why: list[str] = []
    latest = deadline - slot.duration
    span = (latest - earliest).total_seconds()
    earliness = 1.0 if span <= 0 else 1.0 - (slot.start - earliest).total_seconds() / span
    why.append(f"ends {_fmt_gap(deadline - slot.end)} before the deadline")

    comfort, comfort_why = _comfort(slot, constraints, interpreter_zone)
    why.append(comfort_why)

    buffer, buffer_why = _buffer(slot, constraints)
    if buffer_why:
        why.append(buffer_why)

    optional, optional_why = _optional(slot, constraints)
    if optional_why:
        why.append(optional_why)

    total = (
        WEIGHTS["earliness"] * earliness
        + WEIGHTS["comfort"] * comfort
        + WEIGHTS["buffer"] * buffer
        + WEIGHTS["optional"] * optional
    )
    return Scored(round(total, 3), tuple(why))


def _comfort(
    slot: Interval, constraints: Constraints, interpreter_zone: tuple[str, ZoneInfo] | None
) -> tuple[float, str]:
    case = constraints.case
    attendees: dict[str, ZoneInfo] = {}
    for pid in case.roles.values():
        person = case.people[pid or ""]
        attendees.setdefault(person.name, person.zone)
    if interpreter_zone is not None:
        attendees.setdefault(*interpreter_zone)
    values = {name: comfort_of(slot, zone) for name, zone in attendees.items()}
    comfort = 0.5 * sum(values.values()) / len(values) + 0.5 * min(values.values())
    outside = [name for name, v in values.items() if v < 1.0]
    if not outside:
        return comfort, "inside everyone's 09:00-17:00 local working day"
    parts = []
    for name in outside:
        zone = attendees[name]
        local = f"{slot.start.astimezone(zone):%a %H:%M}-{slot.end.astimezone(zone):%H:%M}"
        parts.append(f"{name} {local}")
    return comfort, "outside 09:00-17:00 local for " + ", ".join(parts)


def _buffer(slot: Interval, constraints: Constraints) -> tuple[float, str | None]:
    gaps = {
        name: gap
        for name, gap in (
            ("CAB blackout", constraints.blackouts.distance(slot)),
            ("handoff window", constraints.handoffs.distance(slot)),
        )
        if gap is not None
    }
    if not gaps:
        return 1.0, None
    nearest = min(gaps, key=lambda name: gaps[name])
    gap = gaps[nearest]
    value = min(1.0, gap / _FULL_BUFFER)
    if gap >= _FULL_BUFFER:
        return value, "2h+ clear of blackouts and handoff windows"
    if not gap:
        return value, f"back to back with a {nearest}"
    return value, f"only {_fmt_gap(gap)} from a {nearest}"


def _optional(slot: Interval, constraints: Constraints) -> tuple[float, str | None]:
    if not constraints.optional:
        return 1.0, None
    free = [p.name for p, att in constraints.optional if att.can_attend(slot)]
    busy = [p.name for p, att in constraints.optional if not att.can_attend(slot)]
    value = len(free) / len(constraints.optional)
    if not busy:
        return value, "optional attendees free: " + ", ".join(free)
    return value, "optional attendees not free: " + ", ".join(busy)
