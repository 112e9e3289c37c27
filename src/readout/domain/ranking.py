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
_CLOCK = tuple(f"{m // 60:02d}:{m % 60:02d}" for m in range(1440))  # wall minute -> "HH:MM"


@dataclass(frozen=True)
class Scored:
    """A score in [0, 1] and the reasons a person can read."""

    score: float
    why: tuple[str, ...]


class _Local:
    """Slots as seen in several time zones (one row per zone): comfort, and the local day and times for the
    explanation. Comfort is 1.0 inside 09:00-17:00 on a weekday, 0.75 inside 08:00-18:00, 0.4 inside
    07:00-20:00, else 0."""

    __slots__ = ("comfort", "comfy", "end_minute", "first", "row", "weekday")

    def __init__(self, zones: Sequence[ZoneInfo], starts: NDArray[np.int64], ends: NDArray[np.int64]) -> None:
        self.row = {zone: i for i, zone in enumerate(zones)}
        if len(starts):
            tables = [offsets(zone, int(starts[0]), int(ends[-1])) for zone in zones]
            wall_start = np.stack([table.to_wall(starts) for table in tables])
            wall_end = np.stack([table.to_wall(ends) for table in tables])
        else:
            wall_start = wall_end = np.zeros((len(zones), 0), dtype=np.int64)
        weekday = (wall_start // DAY_US + 3) % 7  # 1970-01-01 was a Thursday
        first = (wall_start % DAY_US) // MINUTE_US
        last = first + (wall_end - wall_start) // MINUTE_US  # wall minutes: a DST change shows
        self.comfort = np.zeros(first.shape)
        placed = weekday >= 5  # weekends score 0
        for value, lo, hi in _TIERS:
            fits = ~placed & (lo <= first) & (last <= hi)
            self.comfort[fits] = value
            placed |= fits
        self.comfy: list[list[bool]] = (self.comfort >= 1.0).tolist()
        self.weekday: list[list[int]] = weekday.tolist()
        self.first: list[list[int]] = first.tolist()
        self.end_minute: list[list[int]] = ((wall_end % DAY_US) // MINUTE_US).tolist()

    def text(self, row: int, k: int) -> str:
        """``Mon 07:00-08:00``: slot ``k``'s local day and times in the zone of ``row``."""
        day = _DAY_NAMES[self.weekday[row][k]]
        return f"{day} {_CLOCK[self.first[row][k]]}-{_CLOCK[self.end_minute[row][k]]}"


def score_slots(
    starts: NDArray[np.int64],
    interpreters: Sequence[tuple[str, ZoneInfo] | None],
    constraints: Constraints,
    earliest: datetime,
    deadline: datetime,
) -> list[Scored]:
    """Score compliant slots (UTC microsecond starts, ascending) and explain each score; ``interpreters``
    gives the interpreter (name, zone) of each slot, None when there is none. Times become seconds before
    they are divided, as ``timedelta.total_seconds`` would: the floats are those of the documented formula."""
    duration = constraints.case.readout.duration // timedelta(microseconds=1)
    ends = starts + duration
    first, due = to_micros(earliest), to_micros(deadline)
    span = due - duration - first
    seconds = (starts - first) / 1_000_000
    earliness = np.ones(len(starts)) if span <= 0 else 1.0 - seconds / (span / 1_000_000)
    comfort, comfort_why = _comfort(starts, ends, constraints, interpreters)
    buffer, buffer_why = _buffer(starts, ends, constraints)
    share, optional_why = _optional(starts, ends, constraints)
    # Written out in the order of the formula, so that each slot's float arithmetic is the one documented.
    total = (
        WEIGHTS["earliness"] * earliness
        + WEIGHTS["comfort"] * comfort
        + WEIGHTS["buffer"] * buffer
        + WEIGHTS["optional"] * share
    )
    out = []
    for k, (begin, score) in enumerate(zip(starts.tolist(), total.tolist(), strict=True)):
        why = [f"ends {_fmt_gap(due - begin - duration)} before the deadline", comfort_why[k]]
        why += [text for text in (buffer_why[k], optional_why[k]) if text]
        out.append(Scored(round(score, 3), tuple(why)))
    return out


def _attendees(constraints: Constraints) -> dict[str, ZoneInfo]:
    """Role holders' zones by name (first role wins), in role order."""
    case = constraints.case
    out: dict[str, ZoneInfo] = {}
    for pid in case.roles.values():
        person = case.people[pid or ""]
        out.setdefault(person.name, person.zone)
    return out


def _fmt_gap(gap_us: int) -> str:
    """``1d 2h 5m``: whole days, hours and minutes, zero parts left out (``0m`` for no gap)."""
    hours, rem = divmod(gap_us // MINUTE_US, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{days}d"] if days else []
    parts += [f"{hours}h"] if hours else []
    parts += [f"{rem}m"] if rem or not parts else []
    return " ".join(parts)


def _comfort(
    starts: NDArray[np.int64],
    ends: NDArray[np.int64],
    constraints: Constraints,
    interpreters: Sequence[tuple[str, ZoneInfo] | None],
) -> tuple[NDArray[np.float64], list[str]]:
    """Per slot: half the mean and half the worst comfort of the role holders and the interpreter."""
    people = _attendees(constraints)
    zones = list(dict.fromkeys([*people.values(), *(i[1] for i in interpreters if i)]))
    local = _Local(zones, starts, ends)
    rows = [local.comfort[local.row[zone]] for zone in people.values()]
    total, worst = rows[0], rows[0]
    for row in rows[1:]:  # summed in attendee order, like the formula
        total, worst = total + row, np.minimum(worst, row)
    count = np.full(len(starts), len(rows), dtype=np.float64)
    extra = [i is not None and i[0] not in people for i in interpreters]
    if any(extra):
        mask = np.array(extra, dtype=bool)
        row_of = np.array(
            [local.row[i[1]] if i is not None and e else 0 for i, e in zip(interpreters, extra, strict=True)]
        )
        value = np.where(mask, local.comfort[row_of, np.arange(len(starts))], 0.0)
        total = np.where(mask, total + value, total)
        worst = np.where(mask, np.minimum(worst, value), worst)
        count = np.where(mask, count + 1, count)
    comfort = 0.5 * total / count + 0.5 * worst
    texts = []
    seen = [(name, local.row[zone]) for name, zone in people.items()]
    for k, interp in enumerate(interpreters):
        everyone = [*seen, (interp[0], local.row[interp[1]])] if interp is not None and extra[k] else seen
        outside = [f"{name} {local.text(row, k)}" for name, row in everyone if not local.comfy[row][k]]
        if outside:
            texts.append("outside 09:00-17:00 local for " + ", ".join(outside))
        else:
            texts.append("inside everyone's 09:00-17:00 local working day")
    return comfort, texts


def _buffer(
    starts: NDArray[np.int64], ends: NDArray[np.int64], constraints: Constraints
) -> tuple[NDArray[np.float64], list[str | None]]:
    """Per slot: distance to the nearest CAB blackout or handoff window, full marks at two hours."""
    blackout = constraints.blackouts.distance_all(starts, ends)
    handoff = constraints.handoffs.distance_all(starts, ends)
    # The nearest of the two that exist (-1: none); a tie goes to the blackout.
    use_handoff = (handoff >= 0) & ((blackout < 0) | (handoff < blackout))
    gap = np.where(use_handoff, handoff, blackout)
    value = np.where(gap < 0, 1.0, np.minimum(1.0, gap / _FULL_BUFFER_US))
    texts: list[str | None] = []
    for g, h in zip(gap.tolist(), use_handoff.tolist(), strict=True):
        nearest = "handoff window" if h else "CAB blackout"
        if g < 0:
            texts.append(None)
        elif g >= _FULL_BUFFER_US:
            texts.append("2h+ clear of blackouts and handoff windows")
        elif not g:
            texts.append(f"back to back with a {nearest}")
        else:
            texts.append(f"only {_fmt_gap(g)} from a {nearest}")
    return value, texts


def _optional(
    starts: NDArray[np.int64], ends: NDArray[np.int64], constraints: Constraints
) -> tuple[NDArray[np.float64], list[str | None]]:
    """Per slot: the share of optional attendees who are free (1 when there are none)."""
    if not constraints.optional:
        return np.ones(len(starts)), [None] * len(starts)
    names = [person.name for person, _ in constraints.optional]
    able = np.stack([att.can_attend_all(starts, ends) for _, att in constraints.optional])
    share = able.sum(axis=0) / len(names)
    texts: list[str | None] = []
    for column in able.T.tolist():
        busy = [name for name, free in zip(names, column, strict=True) if not free]
        if busy:
            texts.append("optional attendees not free: " + ", ".join(busy))
        else:
            texts.append("optional attendees free: " + ", ".join(names))
    return share, texts
