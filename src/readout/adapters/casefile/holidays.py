"""Public-holiday calendars from the ``holidays`` package, turned into the domain's ``HolidaySet``.

This module is the only place that imports ``holidays``; everything else sees plain dates. The package is
imported when a case names a country, not when this module is (a case without one never loads it).
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from readout.domain.case import HolidaySet

if TYPE_CHECKING:
    from holidays import HolidayBase

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


@functools.cache
def _country_modules() -> dict[str, tuple[str, str]]:
    """Module and class name of each country code (ISO alpha-2 and alpha-3), from the package's registry."""
    from holidays import registry

    return {code: (module, entry[0]) for module, entry in registry.COUNTRIES.items() for code in entry[1:3]}


@functools.cache
def _country_calendar(code: str) -> type[HolidayBase]:
    """The holidays class of the country ``code`` (a key of ``_country_modules``).

    ``holidays.country_holidays`` imports the package ``holidays.countries``, which imports all 250 countries
    (about 55 ms, an eighth of ``readout plan``) to find one. Only that country's module is loaded here,
    under a private name so the package's own copy, if something imports it later, stays independent. Should
    the package's layout change, this falls back to its public lookup. A country module that itself imports
    ``holidays.countries`` (the US territories do) loads the whole package once; from then on the public
    lookup is used, so which of two equivalent classes serves a country can depend on the order cases
    arrive in. The dates are the same either way (a test compares every country with the public lookup).
    """
    import holidays

    module, name = _country_modules()[code]
    if "holidays.countries" not in sys.modules:
        found = _load_country(Path(holidays.__file__).with_name("countries") / f"{module}.py", module, name)
        if found is not None:
            return found
    return type(holidays.country_holidays(code))


def _load_country(path: Path, module: str, name: str) -> type[HolidayBase] | None:
    """The class ``name`` from the source file ``path`` of one country; None when it is not there."""
    from holidays import HolidayBase

    spec = importlib.util.spec_from_file_location(f"readout._holidays_country_{module}", path)
    if spec is None or spec.loader is None or not path.is_file():
        return None
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = loaded
    try:
        spec.loader.exec_module(loaded)
    except Exception:  # not the layout this was written for: the public lookup decides
        del sys.modules[spec.name]
        return None
    found = getattr(loaded, name, None)
    return found if isinstance(found, type) and issubclass(found, HolidayBase) else None


def public_holidays(country: str, subdiv: str | None, years: Iterable[int]) -> frozenset[date]:
    """Public holidays of ``country`` (and ``subdiv``) in ``years``; HolidayCalendarError if unknown."""
    code = country.strip().upper()
    if code not in _country_modules():
        raise HolidayCalendarError(
            "country", f"expected a country code of the holidays package (e.g. US, MX, DE), got {country!r}"
        )
    try:
        calendar = _country_calendar(code)(subdiv=subdiv, years=list(years))
    except NotImplementedError:
        known = _country_calendar(code).subdivisions
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
