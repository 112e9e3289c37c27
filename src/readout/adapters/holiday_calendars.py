"""Public-holiday calendars from the ``holidays`` package, turned into the domain's ``HolidaySet``.

This module is the only place that imports ``holidays``; everything else sees plain dates.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import holidays
from holidays import registry

from readout.domain.case import HolidaySet

__all__ = [
    "HolidayCalendarError",
    "holiday_set",
    "holiday_years",
    "public_holidays",
]

_BUSINESS_DAYS_PER_YEAR = 250


class HolidayCalendarError(ValueError):
    """The country or subdivision does not name a calendar of the ``holidays`` package.

    ``part`` is the case-file key at fault: ``"country"`` or ``"subdiv"``.
    """

    def __init__(self, part: str, message: str) -> None:
        super().__init__(message)
        self.part = part


def holiday_years(anchor_year: int, due_business_days: int) -> range:
    """Years a plan can touch: the year before the anchor through two years (plus long contracts) after."""
    last = anchor_year + 2 + due_business_days // _BUSINESS_DAYS_PER_YEAR
    return range(max(anchor_year - 1, 1), min(last, 9998) + 1)


def _known_codes() -> frozenset[str]:
    """Country codes of the holidays package, read from its registry (importing every country is slow)."""
    return frozenset(code for entry in registry.COUNTRIES.values() for code in entry[1:3])


def public_holidays(country: str, subdiv: str | None, years: Iterable[int]) -> frozenset[date]:
    """Public holidays of ``country`` (and ``subdiv``) in ``years``; HolidayCalendarError if unknown."""
    code = country.strip().upper()
    if code not in _known_codes():
        raise HolidayCalendarError(
            "country", f"expected a country code of the holidays package (e.g. US, MX, DE), got {country!r}"
        )
    try:
        calendar = holidays.country_holidays(code, subdiv=subdiv, years=list(years))
    except NotImplementedError:
        known = holidays.country_holidays(code).subdivisions
        expected = (
            f"expected a subdivision of {code} known to the holidays package ({', '.join(known)})"
            if known
            else f"expected no subdiv: the holidays package has no subdivisions for {code}"
        )
        raise HolidayCalendarError("subdiv", f"{expected}, got {subdiv!r}") from None
    return frozenset(calendar.keys())


def holiday_set(
    country: str | None, subdiv: str | None, extra: Iterable[date], years: Iterable[int]
) -> HolidaySet:
    """Public holidays of ``country``/``subdiv`` over ``years`` plus the ``extra`` local dates."""
    if country is None:
        if subdiv is not None:
            raise HolidayCalendarError("subdiv", f"expected a country alongside subdiv {subdiv!r}")
        return HolidaySet(frozenset(extra))
    return HolidaySet(public_holidays(country, subdiv, years) | frozenset(extra))
