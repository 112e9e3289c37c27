"""Time-zone names as people type them: a did-you-mean for a name that is not an IANA zone, and a warning for
an IANA name that is almost never what a person means (an abbreviation, a fixed offset, a legacy rule name).

Suggestions come from the IANA names themselves (any case, spaces for underscores, accents dropped: ``Sao
Paulo``, ``america/sao_paulo``), their last part (``Sydney``) and the CLDR city names of a few languages
(``Nueva York``, ``Wien``); then from close spellings. Nothing here runs unless a name is wrong or unusual.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
import zoneinfo
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

__all__ = ["suggest_zones", "zone_warning"]

_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})
_REGIONS = frozenset(
    {
        "Africa",
        "America",
        "Antarctica",
        "Arctic",
        "Asia",
        "Atlantic",
        "Australia",
        "Europe",
        "Indian",
        "Pacific",
    }
)
_CITY_LOCALES = ("en", "es", "pt", "fr", "de")
_MAX_SUGGESTIONS = 3

# UTC under any of its names is what it says: no warning.
_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "UCT", "Etc/UCT", "Universal", "Etc/Universal", "Zulu", "Etc/Zulu"})
# A city for a fixed offset (hours east of UTC), used in the warning's "for ... use ..." advice.
_CITY_FOR_OFFSET = {
    -10: "Pacific/Honolulu",
    -9: "America/Anchorage",
    -8: "America/Los_Angeles",
    -7: "America/Denver",
    -6: "America/Chicago",
    -5: "America/New_York",
    -4: "America/Halifax",
    -3: "America/Sao_Paulo",
    0: "Europe/London",
    1: "Europe/Berlin",
    2: "Europe/Athens",
    3: "Europe/Istanbul",
    4: "Asia/Dubai",
    5: "Asia/Karachi",
    7: "Asia/Bangkok",
    8: "Asia/Singapore",
    9: "Asia/Tokyo",
    10: "Australia/Sydney",
    12: "Pacific/Auckland",
}
# Legacy names with daylight-saving rules of their own (POSIX-style or regional abbreviations).
_LEGACY = {
    "EST5EDT": "America/New_York",
    "CST6CDT": "America/Chicago",
    "MST7MDT": "America/Denver",
    "PST8PDT": "America/Los_Angeles",
    "CET": "Europe/Paris",
    "MET": "Europe/Paris",
    "EET": "Europe/Athens",
    "WET": "Europe/Lisbon",
}
# Abbreviations that are fixed offsets, with what to add to the advice.
_FIXED = {"EST": "", "MST": " (in Arizona, America/Phoenix)", "HST": ""}
_ETC_GMT = re.compile(r"^(?:Etc/)?GMT([+-])(\d{1,2})$")


def _plain(text: str) -> str:
    """Lower case, accents dropped, spaces and hyphens as underscores: ``São Paulo`` -> ``sao_paulo``."""
    decomposed = unicodedata.normalize("NFKD", text.strip())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\s\-’']+", "_", bare.casefold())


@lru_cache(maxsize=1)
def _indexes() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Plain spellings to IANA names (canonical-looking ones first): by the name or its last part, and by
    CLDR city name (which maps old aliases such as ``Australia/ACT`` to their city too: it comes second)."""
    names = sorted(
        zoneinfo.available_timezones() - _NOT_ZONES, key=lambda n: (n.split("/")[0] not in _REGIONS, n)
    )
    by_name: dict[str, list[str]] = {}
    by_city: dict[str, list[str]] = {}

    def add(index: dict[str, list[str]], spelling: str, name: str) -> None:
        found = index.setdefault(_plain(spelling), [])
        if name not in found:
            found.append(name)

    canonical = _canonical(frozenset(names))
    for name in names:
        add(by_name, name, name)
        if "/" in name:
            add(by_name, name.rsplit("/", 1)[1], canonical(name))
    for name, city in _cities():
        add(by_city, city, canonical(name))
    return by_name, by_city


def _canonical(names: frozenset[str]) -> Callable[[str], str]:
    """The current name of an old alias (``Asia/Calcutta`` -> ``Asia/Kolkata``), from CLDR's alias table."""
    try:
        from babel.core import get_global

        aliases: Mapping[str, str] = get_global("zone_aliases")
    except Exception:  # suggestions are only less tidy without it
        aliases = {}
    return lambda name: aliases[name] if aliases.get(name) in names else name


def _cities() -> list[tuple[str, str]]:
    """(zone, exemplar city) in a few languages, from the CLDR data shipped with babel."""
    try:
        from babel.dates import get_timezone_location
    except ImportError:  # pragma: no cover - babel is a dependency; suggestions just get fewer without it
        return []
    out = []
    for locale in _CITY_LOCALES:
        for name in sorted(zoneinfo.available_timezones() - _NOT_ZONES):
            if name.split("/")[0] not in _REGIONS:
                continue
            try:
                out.append((name, get_timezone_location(name, locale=locale, return_city=True)))
            except Exception:  # a zone CLDR does not know has no city name: skip it
                continue
    return out


def suggest_zones(text: str) -> list[str]:
    """IANA names the user probably meant by ``text`` (at most three, best first); [] when none is close."""
    by_name, by_city = _indexes()
    plain = _plain(text)
    if not plain:
        return []
    for index in (by_name, by_city):
        for key in (plain, plain.rsplit("/", 1)[-1]):
            if key in index:  # the name in another case or spelling: ``utc`` is UTC before Etc/UTC
                return sorted(index[key], key=lambda n: n.startswith("Etc/"))[:_MAX_SUGGESTIONS]
    if len(plain.rsplit("/", 1)[-1]) < 3:
        return []  # ``America/``: too little to guess from
    out: list[str] = []
    for index in (by_name, by_city):
        for spelling in difflib.get_close_matches(plain, list(index), n=_MAX_SUGGESTIONS, cutoff=0.8):
            # A near spelling of a fixed offset (``GMT+25``) is no better a guess than none.
            out += [n for n in index[spelling] if n not in out and zone_warning(ZoneInfo(n)) is None]
    return out[:_MAX_SUGGESTIONS]


def _offset_text(offset: timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def _city(name: str) -> str:
    """``America/New_York`` -> ``New York`` (the CLDR English city name when there is one)."""
    try:
        from babel.dates import get_timezone_location

        return str(get_timezone_location(name, locale="en", return_city=True))
    except Exception:  # fall back to the name itself
        return name.rsplit("/", 1)[-1].replace("_", " ")


def _advice(name: str) -> str:
    return f"for {_city(name)} use {name}"


@lru_cache(maxsize=256)
def zone_warning(zone: ZoneInfo) -> str | None:
    """Why a valid IANA name is probably not what was meant, with what to use instead; None when it is fine.

    Warned about: abbreviations and fixed offsets without daylight saving (``EST``, ``MST``, ``HST``, ``GMT``,
    ``GMT+0``, ``Etc/GMT+3``: note the inverted sign), legacy rule names (``EST5EDT``, ``CET``) and
    ``Factory``. UTC under any of its names is fine.
    """
    name = zone.key
    if name in _UTC_NAMES or ("/" in name and not name.startswith("Etc/")):
        return None
    if name == "Factory":
        return "Factory is a placeholder zone (UTC, shown as -00), not a place; use the IANA name of a city"
    if name in _LEGACY:
        return f"{name} is a legacy rule name, not a place; {_advice(_LEGACY[name])}"
    year = datetime.now(UTC).year
    january = zone.utcoffset(datetime(year, 1, 15))
    july = zone.utcoffset(datetime(year, 7, 15))
    if january is None or july is None or january != july:
        return None  # a name with daylight saving (``Japan``, ``Eire``...): an old alias, but a real place
    if not (name in _FIXED or name.startswith(("GMT", "Etc/")) or name == "Greenwich"):
        return None  # a country alias without daylight saving (``Japan``, ``Singapore``): a real place
    hours = january.total_seconds() / 3600
    city = _CITY_FOR_OFFSET.get(int(hours)) if hours.is_integer() else None
    where = _advice(city) if city else "use the IANA name of a city (e.g. America/Sao_Paulo)"
    where += _FIXED.get(name, "")
    match = _ETC_GMT.match(name)
    inverted = " (the sign is inverted in these names)" if match and int(match.group(2)) else ""
    return f"{name} is a fixed {_offset_text(january)} offset{inverted} with no daylight saving; {where}"
