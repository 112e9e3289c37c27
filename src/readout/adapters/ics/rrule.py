"""One RRULE expanded over a bounded range of naive wall times, without walking its whole history.

dateutil enumerates a rule from its DTSTART, so a daily rule started 15 years ago costs 5,500 steps before
reaching this month. Here the rule is restarted at the beginning of a period shortly before the range, in
phase with the original (a whole number of INTERVALs later), with every value DTSTART implied (the weekday
of a WEEKLY rule, the day of a MONTHLY rule, the time of day...) written out, so the occurrences from that
point on are exactly the original's. A COUNT rule is restarted only when the occurrences skipped can be
counted without enumerating them (rules whose periods all hold the same number: HOURLY, MINUTELY and
SECONDLY rules without filters, DAILY, WEEKLY and MONTHLY ones without BYSETPOS or a day some months lack);
any other COUNT rule is enumerated from its start, a cost bounded by its COUNT and by the steps below.

Both walks are bounded (``input_limits``): a rule that takes more than ``RULE_STEPS`` steps (about a
microsecond of dateutil's work each: periods passed through and occurrences generated, ``_PERIOD_COST``) to
reach the end of the range, or has more than ``OCCURRENCES_PER_EVENT`` in it, is refused; the steps are
spent from the calendar's ``Budget``, and the deadline of a remote read is checked as it goes.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, time, timedelta
from functools import lru_cache
from typing import Any

from dateutil.rrule import rrule, rruleset, rrulestr
from icalendar import vRecur

from readout.adapters.ics.budget import Budget
from readout.adapters.ics.problem import IcsProblem
from readout.adapters.input_limits import OCCURRENCES_PER_EVENT, RULE_STEPS
from readout.services import read_deadline

__all__ = ["rule_walls"]

_CHECK_EVERY = 4096  # steps between two looks at the deadline of a remote read
_CYCLE_YEARS = 400  # the Gregorian calendar repeats its dates and weekdays every 400 years
_LAST_CYCLE = datetime(9999 - _CYCLE_YEARS, 1, 1)
_COARSE = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY")
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_FIXED_STEP = {
    "DAILY": timedelta(days=1),
    "HOURLY": timedelta(hours=1),
    "MINUTELY": timedelta(minutes=1),
    "SECONDLY": timedelta(seconds=1),
}
# What dateutil spends, in steps of about a microsecond (measured): passing one period of the rule (a year
# 30 us, examining each day of it; a month 6; a week 3; a day about 2; an hour, minute or second at most 1),
# and generating one occurrence (about 2). Periods are counted short (28-day months), never long.
_PERIOD = {
    "YEARLY": timedelta(days=365),
    "MONTHLY": timedelta(days=28),
    "WEEKLY": timedelta(weeks=1),
    **_FIXED_STEP,
}
_PERIOD_COST = {"YEARLY": 30, "MONTHLY": 6, "WEEKLY": 3, "DAILY": 2}
_PERIOD_COST |= dict.fromkeys(("HOURLY", "MINUTELY", "SECONDLY"), 1)
_OCCURRENCE_COST = 2
_DAY_FILTERS = ("BYMONTH", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYDAY")
_PLAIN_PARTS = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST"}
_COUNTABLE_PARTS = _PLAIN_PARTS | {"BYHOUR", "BYMINUTE", "BYSECOND", "BYDAY"}
_COUNTABLE_PARTS |= {"BYMONTHDAY"}  # MONTHLY rules only
# For rules finer than DAILY, the parts that only add times inside each period (dateutil's timesets): any
# other part filters periods out, so that periods differ in how many occurrences they hold.
_EXPANDING_ONLY = {"HOURLY": {"BYMINUTE", "BYSECOND"}, "MINUTELY": {"BYSECOND"}, "SECONDLY": set[str]()}
_ORDINAL_WEEKDAY = re.compile(r"([+-]?[0-9]{1,2})(MO|TU|WE|TH|FR|SA|SU)")


def rule_walls(
    recur: vRecur, start: datetime, low: datetime, high: datetime, budget: Budget | None = None
) -> list[datetime]:
    """Occurrence starts of ``recur`` (dateutil semantics, UNTIL left to the caller) within ``[low, high]``.

    ``start`` is DTSTART as a naive wall time; all-day rules use midnights. The steps taken are spent from
    ``budget`` (the calendar's; a budget of its own when None).
    """
    budget = budget or Budget()
    base = _base_rule(recur, start)
    if high < low or _never_matches(recur, budget) or _stuck_on_another_weekday(recur, start):
        return []
    count = _count(recur)
    if count is None:
        restarted: tuple[rrule, datetime] | None = _restarted(base, recur, start, low)
    else:
        restarted = _restarted_counted(base, recur, start, low, count)
    return [] if restarted is None else _bounded(*restarted, recur, low, high, budget)


def _bounded(
    rule: rrule, begin: datetime, recur: vRecur, low: datetime, high: datetime, budget: Budget
) -> list[datetime]:
    """The starts in ``[low, high]`` of ``rule``, which starts at ``begin``. A rule that needs more than
    ``RULE_STEPS`` steps to get there (a COUNT rule walked from a DTSTART long ago) or that floods the range
    (FREQ=SECONDLY) is refused."""
    freq = _freq(recur)
    period, cost = _PERIOD[freq] * _interval(recur), _PERIOD_COST[freq]
    horizon = _later(begin, period * (RULE_STEPS // cost))
    found: list[datetime] = []
    walked, last = 0, begin
    for moment in rule:
        walked, last = walked + 1, moment
        if moment > high:
            break
        if moment > horizon or walked * _OCCURRENCE_COST > RULE_STEPS:
            raise IcsProblem(
                f"RRULE takes more than {RULE_STEPS:,} steps to expand (see docs/limits.md)",
                prop="RRULE",
            )
        if moment >= low:
            found.append(moment)
            if len(found) > OCCURRENCES_PER_EVENT:
                raise IcsProblem(
                    f"RRULE has more than {OCCURRENCES_PER_EVENT:,} occurrences in the window "
                    "(see docs/limits.md)",
                    prop="RRULE",
                )
        if not walked % _CHECK_EVERY:
            read_deadline.check()
    budget.spend_steps(walked * _OCCURRENCE_COST + (last - begin) // period * cost)
    return found


def _later(moment: datetime, span: timedelta) -> datetime:
    try:
        return moment + span
    except OverflowError:
        return datetime.max


def _base_rule(recur: vRecur, start: datetime) -> rrule:
    """The rule without UNTIL and COUNT, which the caller and ``rule_walls`` apply themselves."""
    _refuse_unbounded(recur)
    parts = vRecur({key: value for key, value in recur.items() if key not in ("UNTIL", "COUNT")})
    with contextlib.suppress(ValueError, TypeError, KeyError, IndexError):
        rule = _parsed(_text(parts), start)
        if isinstance(rule, rrule):
            return rule
    raise IcsProblem("RRULE cannot be expanded", prop="RRULE")


@lru_cache(maxsize=1024)
def _parsed(text: str, start: datetime) -> rrule | rruleset:
    """dateutil's reading of a rule, kept: VTIMEZONE rules are looked at again for every year asked about."""
    return rrulestr(text, dtstart=start)


def _stuck_on_another_weekday(recur: vRecur, start: datetime) -> bool:
    """True when a fixed-step rule moves in whole weeks (``FREQ=DAILY;INTERVAL=7``) so that every occurrence
    falls on DTSTART's weekday, and BYDAY leaves that weekday out: nothing ever matches, and dateutil would
    step through the centuries up to the year 9999 to find out."""
    step = _FIXED_STEP.get(_freq(recur))
    days = _plain_weekdays(recur.get("BYDAY", []))
    if step is None or not days:
        return False
    return (step * _interval(recur)) % timedelta(weeks=1) == timedelta(0) and (
        _WEEKDAYS[start.weekday()] not in days
    )


def _refuse_unbounded(recur: vRecur) -> None:
    """Reject rules dateutil would search forever: it only stops early when an occurrence matches."""
    values = recur.get("INTERVAL", [1])
    if not str(values[0]).isdigit() or int(values[0]) < 1:
        raise IcsProblem("RRULE INTERVAL must be a whole number of at least 1", prop="RRULE")
    if "BYSETPOS" in recur and _freq(recur) not in _COARSE:
        raise IcsProblem("RRULE BYSETPOS with a FREQ finer than DAILY is not supported", prop="RRULE")


def _never_matches(recur: vRecur, budget: Budget) -> bool:
    """True when the day filters contradict each other (February 30th).

    dateutil would look for a matching day until the year 9999, a day at a time for a DAILY rule, a year at a
    time (examining each day) for a YEARLY one. A YEARLY rule with the same day filters (ordinals dropped: a
    superset of days) finds out, looking at most through one 400-year cycle of the calendar.
    """
    day_parts = {key: value for key, value in recur.items() if key in _DAY_FILTERS}
    if len(day_parts) < 2:  # one filter alone always matches some day
        return False
    if "BYDAY" in day_parts:
        day_parts["BYDAY"] = sorted({str(day).upper()[-2:] for day in day_parts["BYDAY"]})
    years = _years_to_first_match(_text(vRecur({"FREQ": ["YEARLY"], **day_parts})))
    budget.spend_steps((years or _CYCLE_YEARS) * _PERIOD_COST["YEARLY"])
    return years is None


@lru_cache(maxsize=1024)
def _years_to_first_match(skeleton: str) -> int | None:
    """How many years a YEARLY rule looks through before its first match, or None when nothing ever matches.

    Dates and weekdays repeat every 400 years, and dateutil stops at the year 9999: started 400 years before
    that, the search covers a whole cycle and no more. A rule dateutil refuses is left for later to refuse.
    """
    try:
        first = rrulestr(skeleton, dtstart=_LAST_CYCLE).after(_LAST_CYCLE, inc=True)
    except (ValueError, TypeError):
        return 1
    return None if first is None else first.year - _LAST_CYCLE.year + 1


def _text(recur: vRecur) -> str:
    """The rule as RFC 5545 text, which dateutil parses."""
    return bytes(recur.to_ical()).decode("ascii")  # type: ignore[no-untyped-call]  # icalendar leaves it untyped


def _count(recur: vRecur) -> int | None:
    """COUNT, or None when absent; a COUNT below 1 is ignored, as recurring-ical-events does."""
    values = recur.get("COUNT")
    if not values:
        return None
    count = int(values[0])
    return count if count > 0 else None


def _restarted(base: rrule, recur: vRecur, start: datetime, low: datetime) -> tuple[rrule, datetime]:
    """``base`` restarted shortly before ``low`` when that skips at least one whole INTERVAL, with the
    moment it starts from."""
    steps = _steps_before(recur, start, low)
    if steps <= 0:
        return base, start
    restart = _period_start(recur, start, steps * _interval(recur))
    return base.replace(dtstart=restart, **_implied(recur, start)), restart


def _restarted_counted(
    base: rrule, recur: vRecur, start: datetime, low: datetime, count: int
) -> tuple[rrule, datetime] | None:
    """Like ``_restarted`` for a COUNT rule, or None when the rule is used up before the restart."""
    steps = _steps_before(recur, start, low)
    per_period = _per_period(recur, start)
    if steps <= 0 or per_period is None:
        return base.replace(count=count), start
    next_period = _period_start(recur, start, _interval(recur))
    first = len(_occurrences_before(base, next_period))
    left = count - first - (steps - 1) * per_period
    if left <= 0:
        return None
    restart = _period_start(recur, start, steps * _interval(recur))
    return base.replace(dtstart=restart, count=left, **_implied(recur, start)), restart


def _occurrences_before(rule: rrule, end: datetime) -> list[datetime]:
    """Occurrences of ``rule`` before ``end`` (a handful: one period's worth)."""
    found: list[datetime] = []
    for moment in rule:
        if moment >= end:
            break
        found.append(moment)
    return found


def _freq(recur: vRecur) -> str:
    return str(recur["FREQ"][0]).upper()


def _interval(recur: vRecur) -> int:
    return max(1, int(recur.get("INTERVAL", [1])[0]))


def _steps_before(recur: vRecur, start: datetime, low: datetime) -> int:
    """How many whole INTERVALs can be skipped while staying at least one period before ``low``."""
    freq = _freq(recur)
    if freq == "YEARLY":
        units = low.year - start.year
    elif freq == "MONTHLY":
        units = (low.year - start.year) * 12 + low.month - start.month
    elif freq == "WEEKLY":
        units = (low.date() - start.date()).days // 7
    else:
        units = (low - start) // _FIXED_STEP[freq]
    return units // _interval(recur) - 1


def _period_start(recur: vRecur, start: datetime, periods: int) -> datetime:
    """The start of the period ``periods`` periods after the one holding ``start``."""
    freq = _freq(recur)
    if freq == "YEARLY":
        return datetime(start.year + periods, 1, 1)
    if freq == "MONTHLY":
        years, month = divmod(start.month - 1 + periods, 12)
        return datetime(start.year + years, month + 1, 1)
    if freq == "WEEKLY":
        week_start = _WEEKDAYS.index(str(recur.get("WKST", ["MO"])[0]).upper())
        day = start.date() - timedelta(days=(start.weekday() - week_start) % 7)
        return datetime.combine(day + timedelta(weeks=periods), time())
    if freq == "DAILY":
        return datetime.combine(start.date() + timedelta(days=periods), time())
    return _truncated(start, freq) + periods * _FIXED_STEP[freq]


def _truncated(start: datetime, freq: str) -> datetime:
    """The beginning of the hour, minute or second holding ``start``."""
    if freq == "HOURLY":
        return start.replace(minute=0, second=0, microsecond=0)
    if freq == "MINUTELY":
        return start.replace(second=0, microsecond=0)
    return start.replace(microsecond=0)


def _implied(recur: vRecur, start: datetime) -> dict[str, Any]:
    """The BYxxx values the original DTSTART implies (dateutil's own defaulting rules), written out."""
    freq, given = _freq(recur), {str(key).upper() for key in recur}
    implied: dict[str, Any] = {}
    if not given & {"BYWEEKNO", "BYYEARDAY", "BYMONTHDAY", "BYDAY", "BYEASTER"}:
        if freq == "YEARLY":
            implied["bymonthday"] = start.day
            if "BYMONTH" not in given:
                implied["bymonth"] = start.month
        elif freq == "MONTHLY":
            implied["bymonthday"] = start.day
        elif freq == "WEEKLY":
            implied["byweekday"] = start.weekday()
    if freq in _COARSE and "BYHOUR" not in given:
        implied["byhour"] = start.hour
    if freq in (*_COARSE, "HOURLY") and "BYMINUTE" not in given:
        implied["byminute"] = start.minute
    if freq != "SECONDLY" and "BYSECOND" not in given:
        implied["bysecond"] = start.second
    return implied


def _per_period(recur: vRecur, start: datetime) -> int | None:
    """Occurrences in each period of the rule; None when periods differ (or for YEARLY rules)."""
    freq, given = _freq(recur), {str(key).upper() for key in recur}
    if freq in _EXPANDING_ONLY:
        if not given <= _PLAIN_PARTS | _EXPANDING_ONLY[freq]:
            return None
        return _distinct(recur, "BYMINUTE") * _distinct(recur, "BYSECOND")
    if not given <= _COUNTABLE_PARTS:
        return None
    if freq == "MONTHLY":
        days = _monthly_days(recur, start)
    elif freq in ("DAILY", "WEEKLY") and "BYMONTHDAY" not in given:
        weekdays = _plain_weekdays(recur.get("BYDAY", [])) if freq == "WEEKLY" else None
        if weekdays is None and "BYDAY" in given:
            return None
        days = len(weekdays) if weekdays else 1
    else:
        return None
    if days is None:
        return None
    return days * _distinct(recur, "BYHOUR") * _distinct(recur, "BYMINUTE") * _distinct(recur, "BYSECOND")


def _monthly_days(recur: vRecur, start: datetime) -> int | None:
    """Days of every month a MONTHLY rule picks, when that number never changes: month days that every
    month has (1st to 28th, or last to 28th from the end) or weekdays by ordinal that every month has (1st
    to 4th, or last to 4th from the end), all counted from the same end so no two can be the same day."""
    weekdays, monthdays = recur.get("BYDAY", []), recur.get("BYMONTHDAY", [])
    if weekdays and monthdays:
        return None  # a month day that must also be a given weekday: some months have it, some not
    if monthdays:
        numbers = {int(str(value)) for value in monthdays}
    elif weekdays:
        ordinals = [_ORDINAL_WEEKDAY.fullmatch(str(value).upper()) for value in weekdays]
        if not all(ordinals):
            return None  # a plain weekday: four or five a month
        numbers = {int(found.group(1)) for found in ordinals if found}
        days = len({(int(found.group(1)), found.group(2)) for found in ordinals if found})
        return days if _same_end(numbers, 4) else None
    else:
        numbers = {start.day}  # DTSTART's day of the month, which dateutil implies
    return len(numbers) if _same_end(numbers, 28) else None


def _same_end(numbers: set[int], most: int) -> bool:
    """Whether every number counts from the same end of the month and reaches at most ``most`` into it."""
    return all(1 <= number <= most for number in numbers) or all(-most <= number <= -1 for number in numbers)


def _plain_weekdays(values: Sequence[object]) -> set[str] | None:
    """BYDAY values when none carries an ordinal (``2TU``), else None."""
    days = {str(value).upper() for value in values}
    return days if days <= set(_WEEKDAYS) else None


def _distinct(recur: Mapping[str, Sequence[object]], part: str) -> int:
    return len({int(str(value)) for value in recur.get(part, [0])})
