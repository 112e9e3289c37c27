"""Two RECURRENCE-ID overrides of one occurrence: the higher SEQUENCE replaces it; on equal SEQUENCE the one
later in the file does. Read through the calendar port over files (``IcsFileReader``), as planning reads them.

Both fixtures (tests/calendars/override-two-*.ics): weekly Tue 14:00-15:00Z, COUNT=2 (Nov 3 and Nov 10). The
Nov 10 occurrence is overridden twice: first in the file to Wed Nov 11 09:00-10:00Z, last in the file to
Thu Nov 12 16:00-16:30Z. Exactly one of the two moves may block time, and the Tuesday 10 Nov slot is free.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from readout.adapters.ics.files import IcsFileReader
from readout.domain.intervals import Interval

CALENDARS = Path(__file__).resolve().parents[2] / "calendars"
WINDOW = Interval(datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 16, tzinfo=UTC))
CHICAGO = ZoneInfo("America/Chicago")

KEPT = Interval(datetime(2026, 11, 3, 14, tzinfo=UTC), datetime(2026, 11, 3, 15, tzinfo=UTC))  # Nov 3
WRITTEN_FIRST = Interval(datetime(2026, 11, 11, 9, tzinfo=UTC), datetime(2026, 11, 11, 10, tzinfo=UTC))
WRITTEN_LAST = Interval(datetime(2026, 11, 12, 16, tzinfo=UTC), datetime(2026, 11, 12, 16, 30, tzinfo=UTC))

CASES = {
    # SEQUENCE 1 and 1: the later one in the file wins.
    "override-two-equal-sequence-later-wins.ics": [KEPT, WRITTEN_LAST],
    # SEQUENCE 2 first, 1 last: the higher SEQUENCE wins although it comes first.
    "override-two-higher-sequence-first-wins.ics": [KEPT, WRITTEN_FIRST],
}


def busy(name: str) -> list[Interval]:
    return list(
        IcsFileReader().busy(
            CALENDARS / name, window=WINDOW, zone=CHICAGO, tentative_is_busy=True, exclude_escalation=None
        )
    )


def blackouts(name: str) -> list[Interval]:
    return list(IcsFileReader().blackouts(CALENDARS / name, window=WINDOW, zone=CHICAGO))


@pytest.mark.parametrize("name", CASES)
def test_one_override_of_an_occurrence_wins(name: str) -> None:
    assert busy(name) == CASES[name]


@pytest.mark.parametrize("name", CASES)
def test_blackouts_follow_the_same_override(name: str) -> None:
    assert blackouts(name) == CASES[name]
