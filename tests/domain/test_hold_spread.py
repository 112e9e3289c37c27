"""Which eligible slots a hold command takes: spread over days, then times, best-ranked first within each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from readout.domain.eligibility import Eligible, nearest, spread
from readout.domain.intervals import Interval

MEXICO = ZoneInfo("America/Mexico_City")


def at(day: int, hour: int, minute: int = 0) -> Eligible:
    start = datetime(2026, 11, day, hour, minute, tzinfo=UTC)
    return Eligible(Interval(start, start + timedelta(hours=1)), None)


def starts(chosen: list[Eligible]) -> list[tuple[int, int, int]]:
    return [(e.slot.start.day, e.slot.start.hour, e.slot.start.minute) for e in chosen]


def test_distinct_days_come_first_then_times_that_do_not_overlap_then_the_rest_in_rank_order() -> None:
    ranked = [at(17, 18), at(17, 17, 45), at(17, 17, 30), at(17, 20), at(19, 16, 30), at(18, 15)]

    assert starts(spread(ranked, 3, MEXICO)) == [(17, 18, 0), (19, 16, 30), (18, 15, 0)]
    assert starts(spread(ranked, 4, MEXICO)) == [(17, 18, 0), (17, 20, 0), (19, 16, 30), (18, 15, 0)]
    assert starts(spread(ranked, 5, MEXICO)) == [
        (17, 18, 0),
        (17, 17, 45),
        (17, 20, 0),
        (19, 16, 30),
        (18, 15, 0),
    ]
    assert spread(ranked, 3, MEXICO) == spread(list(ranked), 3, MEXICO)  # deterministic


def test_days_are_the_contract_zone_s() -> None:
    # 02:00 UTC on the 18th is 20:00 on the 17th in Mexico City: the same day as the best slot there.
    ranked = [at(17, 18), at(18, 2), at(19, 16)]

    assert starts(spread(ranked, 2, MEXICO)) == [(17, 18, 0), (19, 16, 0)]
    assert starts(spread(ranked, 2, ZoneInfo("UTC"))) == [(17, 18, 0), (18, 2, 0)]


def test_kept_holds_count_and_take_their_day() -> None:
    ranked = [at(17, 18), at(17, 17, 45), at(19, 16, 30)]

    assert starts(spread(ranked, 3, MEXICO, kept=[ranked[1].slot])) == [(17, 18, 0), (19, 16, 30)]
    assert spread(ranked, 2, MEXICO, kept=[ranked[0].slot, ranked[2].slot]) == []


def test_nearest_eligible_starts_are_listed_in_time_order() -> None:
    ranked = [at(17, 18), at(19, 16, 30), at(17, 17, 45), at(24, 9)]

    near = nearest(ranked, datetime(2026, 11, 18, 3, tzinfo=UTC), limit=3)

    assert starts(near) == [(17, 17, 45), (17, 18, 0), (19, 16, 30)]
