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

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from readout.domain.families import Constraints
from readout.domain.intervals import to_micros
from readout.domain.localtime import DAY_US, MINUTE_US, offsets

__all__ = ["WEIGHTS", "Scored", "score_slots"]

WEIGHTS = {"earliness": 0.30, "comfort": 0.40, "buffer": 0.20, "optional": 0.10}
_FULL_BUFFER_US = 2 * 3600 * 1_000_000
# (tier value, first minute, last minute) in local wall time, best first.
_TIERS = ((1.0, 9 * 60, 17 * 60), (0.75, 8 * 60, 18 * 60), (0.4, 7 * 60, 20 * 60))
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Scored:
    """A score in [0, 1] and the reasons a person can read."""

    score: float
    why: tuple[str, ...]


@dataclass(frozen=True)
class _Local:
    """Slots as seen in one time zone: weekday of the start, wall minute of day of start and end."""

    weekday: NDArray[np.int64]
    first: NDArray[np.int64]
    end_minute: NDArray[np.int64]
    comfort: NDArray[np.float64]

    def text(self, k: int) -> str:
        """``Mon 07:00-08:00``: the slot's local day and times."""
        first, end = int(self.first[k]), int(self.end_minute[k])
        day = _DAY_NAMES[int(self.weekday[k])]
        return f"{day} {first // 60:02d}:{first % 60:02d}-{end // 60:02d}:{end % 60:02d}"


def score_slots(
    starts: NDArray[np.int64],
    interpreter_zones: Sequence[tuple[str, ZoneInfo] | None],
    constraints: Constraints,
    earliest: datetime,
    deadline: datetime,
) -> list[Scored]:
    """Score compliant slots (UTC microsecond starts) and explain each score (one interpreter per slot)."""
    duration = constraints.case.readout.duration // timedelta(microseconds=1)
    ends = starts + duration
    first, due = to_micros(earliest), to_micros(deadline)
    span = due - duration - first
    attendees = _attendees(constraints)
    zones = {zone for _, zone in attendees.values()} | {z[1] for z in interpreter_zones if z is not None}
    local = {zone: _local(zone, starts, ends) for zone in zones}
    blackout_gaps = constraints.blackouts.distance_all(starts, ends)
    handoff_gaps = constraints.handoffs.distance_all(starts, ends)
    optional = [(person.name, att.can_attend_all(starts, ends)) for person, att in constraints.optional]
    scored = []
    for k, begin in enumerate(starts.tolist()):
        why = [f"ends {_fmt_gap(due - begin - duration)} before the deadline"]
        earliness = 1.0 if span <= 0 else 1.0 - (begin - first) / 1_000_000 / (span / 1_000_000)
        comfort, comfort_why = _comfort(k, attendees, interpreter_zones[k], local)
        why.append(comfort_why)
        buffer, buffer_why = _buffer(int(blackout_gaps[k]), int(handoff_gaps[k]))
        if buffer_why:
            why.append(buffer_why)
        share, optional_why = _optional(k, optional)
        if optional_why:
            why.append(optional_why)
        total = (
            WEIGHTS["earliness"] * earliness
            + WEIGHTS["comfort"] * comfort
            + WEIGHTS["buffer"] * buffer
            + WEIGHTS["optional"] * share
        )
        scored.append(Scored(round(total, 3), tuple(why)))
    return scored


def _attendees(constraints: Constraints) -> dict[str, tuple[str, ZoneInfo]]:
    """Role holders by name (first role wins), in role order."""
    case = constraints.case
    out: dict[str, tuple[str, ZoneInfo]] = {}
    for pid in case.roles.values():
        person = case.people[pid or ""]
        out.setdefault(person.name, (person.name, person.zone))
    return out


def _local(zone: ZoneInfo, starts: NDArray[np.int64], ends: NDArray[np.int64]) -> _Local:
    """Local weekday and minutes of every slot in ``zone``, and how comfortable each slot is there:
    1.0 inside 09:00-17:00 on a weekday, 0.75 inside 08:00-18:00, 0.4 inside 07:00-20:00, else 0."""
    if not len(starts):
        empty = np.zeros(0, dtype=np.int64)
        return _Local(empty, empty, empty, np.zeros(0))
    table = offsets(zone, int(starts[0]), int(ends[-1]))
    wall_start, wall_end = table.to_wall(starts), table.to_wall(ends)
    weekday = (wall_start // DAY_US + 3) % 7  # 1970-01-01 was a Thursday
    first = (wall_start % DAY_US) // MINUTE_US
    last = first + (wall_end - wall_start) // 1_000_000 // 60
    comfort = np.zeros(len(starts))
    placed = weekday >= 5  # weekends score 0
    for value, lo, hi in _TIERS:
        fits = ~placed & (lo <= first) & (last <= hi)
        comfort[fits] = value
        placed |= fits
    return _Local(weekday, first, (wall_end % DAY_US) // MINUTE_US, comfort)


def _fmt_gap(gap_us: int) -> str:
    hours, rem = divmod(int(gap_us / 1_000_000) // 60, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{days}d"] if days else []
    parts += [f"{hours}h"] if hours else []
    parts += [f"{rem}m"] if rem or not parts else []
    return " ".join(parts)


def _comfort(
    k: int,
    attendees: dict[str, tuple[str, ZoneInfo]],
    interpreter: tuple[str, ZoneInfo] | None,
    local: dict[ZoneInfo, _Local],
) -> tuple[float, str]:
    people = dict(attendees)
    if interpreter is not None:
        people.setdefault(interpreter[0], interpreter)
    values = {name: float(local[zone].comfort[k]) for name, (_, zone) in people.items()}
    comfort = 0.5 * sum(values.values()) / len(values) + 0.5 * min(values.values())
    outside = [name for name, v in values.items() if v < 1.0]
    if not outside:
        return comfort, "inside everyone's 09:00-17:00 local working day"
    parts = [f"{name} {local[people[name][1]].text(k)}" for name in outside]
    return comfort, "outside 09:00-17:00 local for " + ", ".join(parts)


def _buffer(blackout_us: int, handoff_us: int) -> tuple[float, str | None]:
    """Distance to the nearest CAB blackout or handoff window (-1: there is none), full marks at 2 hours."""
    gaps = {
        name: gap for name, gap in (("CAB blackout", blackout_us), ("handoff window", handoff_us)) if gap >= 0
    }
    if not gaps:
        return 1.0, None
    nearest = min(gaps, key=lambda name: gaps[name])
    gap = gaps[nearest]
    value = min(1.0, gap / _FULL_BUFFER_US)
    if gap >= _FULL_BUFFER_US:
        return value, "2h+ clear of blackouts and handoff windows"
    if not gap:
        return value, f"back to back with a {nearest}"
    return value, f"only {_fmt_gap(gap)} from a {nearest}"


def _optional(k: int, optional: list[tuple[str, NDArray[np.bool_]]]) -> tuple[float, str | None]:
    if not optional:
        return 1.0, None
    free = [name for name, able in optional if able[k]]
    busy = [name for name, able in optional if not able[k]]
    value = len(free) / len(optional)
    if not busy:
        return value, "optional attendees free: " + ", ".join(free)
    return value, "optional attendees not free: " + ", ".join(busy)
