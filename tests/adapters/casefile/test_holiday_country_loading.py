"""One country's holidays are loaded from its own module, not through the package's index of all 250
(``readout plan`` start-up); the dates must be exactly those of the package's public lookup."""

from __future__ import annotations

from pathlib import Path

import holidays
import pytest

from readout.adapters.casefile.holidays import (
    HolidayCalendarError,
    _country_modules,
    _load_country,
    public_holidays,
)

YEARS = [2025, 2026, 2027]
COUNTRIES = Path(holidays.__file__).with_name("countries")


@pytest.mark.parametrize("code", sorted(c for c in _country_modules() if len(c) == 2))
def test_every_country_loaded_alone_has_the_public_lookups_dates(code: str) -> None:
    module, name = _country_modules()[code]
    alone = _load_country(COUNTRIES / f"{module}.py", module, name)
    assert alone is not None
    assert dict(alone(years=YEARS)) == dict(holidays.country_holidays(code, years=YEARS))


@pytest.mark.parametrize(("code", "subdiv"), [("US", "CA"), ("DE", "BY"), ("CA", "QC"), ("ES", "CT")])
def test_subdivisions_loaded_alone_match_too(code: str, subdiv: str) -> None:
    module, name = _country_modules()[code]
    alone = _load_country(COUNTRIES / f"{module}.py", module, name)
    assert alone is not None
    expected = holidays.country_holidays(code, subdiv=subdiv, years=YEARS)
    assert dict(alone(subdiv=subdiv, years=YEARS)) == dict(expected)


def test_a_missing_country_module_is_no_class_and_the_public_lookup_decides(tmp_path: Path) -> None:
    assert _load_country(tmp_path / "atlantis.py", "atlantis", "Atlantis") is None
    (tmp_path / "broken.py").write_text("raise ImportError('layout changed')\n")
    assert _load_country(tmp_path / "broken.py", "broken", "Broken") is None
    assert public_holidays("MX", None, YEARS) == frozenset(holidays.country_holidays("MX", years=YEARS))


def test_unknown_subdivision_still_names_the_known_ones() -> None:
    with pytest.raises(HolidayCalendarError, match="expected a subdivision of US") as caught:
        public_holidays("US", "ZZ", YEARS)
    assert caught.value.part == "subdiv"
