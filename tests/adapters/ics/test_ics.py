"""The iCalendar adapter against real ``.ics`` files, one per awkward feature (tests/calendars/).

Every expected interval is worked out by hand in the comments: local wall time, the UTC offset in force,
and the UTC result. Results are merged, sorted and clipped to the window.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from readout.adapters.ics.reader import parse_blackouts, parse_busy, read_blackouts, read_busy
from readout.domain.intervals import Interval
from readout.errors import CalendarError

CALENDARS = Path(__file__).resolve().parents[2] / "calendars"
CHICAGO = ZoneInfo("America/Chicago")
KOLKATA = ZoneInfo("Asia/Kolkata")
BERLIN = ZoneInfo("Europe/Berlin")
NOVEMBER = ("2026-11-02T00:00", "2026-11-16T00:00")  # two working weeks, after every DST change of 2026


def at(text: str) -> datetime:
    """A UTC instant from ``YYYY-MM-DDTHH:MM``."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def iv(start: str, end: str) -> Interval:
    return Interval(at(start), at(end))


def window(start: str, end: str) -> Interval:
    return iv(start, end)


def busy(
    name: str,
    span: tuple[str, str] = NOVEMBER,
    *,
    zone: ZoneInfo = CHICAGO,
    tentative: bool = True,
    exclude: str | None = None,
) -> list[Interval]:
    return list(
        read_busy(
            CALENDARS / name,
            window=window(*span),
            zone=zone,
            tentative_is_busy=tentative,
            exclude_escalation=exclude,
        )
    )


def blackouts(name: str, span: tuple[str, str] = NOVEMBER, *, zone: ZoneInfo = CHICAGO) -> list[Interval]:
    return list(read_blackouts(CALENDARS / name, window=window(*span), zone=zone))


def error_of(name: str) -> CalendarError:
    with pytest.raises(CalendarError) as caught:
        busy(name)
    return caught.value


# --- Daylight saving time -----------------------------------------------------------------------------------


def test_daily_event_in_the_spring_forward_gap_takes_the_offset_before_the_gap() -> None:
    # 02:30-03:00 America/Chicago daily. 2026-03-08 02:30 does not exist (02:00 CST jumps to 03:00 CDT):
    # fold=0 reads it with the offset before the gap, CST (-6), so it starts 08:30Z; the exact 30 minutes of
    # DTSTART..DTEND follow. Mar 7 is CST (08:30Z), Mar 9 is CDT (-5): 02:30 -> 07:30Z.
    assert busy("dst-spring-forward-gap.ics", ("2026-03-07T00:00", "2026-03-10T00:00")) == [
        iv("2026-03-07T08:30", "2026-03-07T09:00"),
        iv("2026-03-08T08:30", "2026-03-08T09:00"),
        iv("2026-03-09T07:30", "2026-03-09T08:00"),
    ]


def test_time_in_the_repeated_fall_back_hour_is_its_first_occurrence() -> None:
    # 2026-11-01 01:30-01:45 Chicago happens twice; fold=0 takes the first, still CDT (-5): 06:30Z-06:45Z.
    assert busy("dst-fall-back-ambiguous-time.ics", ("2026-10-31T00:00", "2026-11-02T00:00")) == [
        iv("2026-11-01T06:30", "2026-11-01T06:45")
    ]


def test_dtend_across_the_gap_gives_the_real_elapsed_time() -> None:
    # 01:00 CST (07:00Z) to 04:00 CDT (09:00Z) on 2026-03-08: three wall-clock hours, two real ones.
    assert busy("dst-dtend-across-transition.ics", ("2026-03-07T00:00", "2026-03-10T00:00")) == [
        iv("2026-03-08T07:00", "2026-03-08T09:00")
    ]


def test_duration_in_days_is_nominal_across_a_dst_change() -> None:
    # DTSTART 2026-03-07 12:00 CST (18:00Z), DURATION P1D: same wall time next day, 12:00 CDT = 17:00Z (23 h).
    assert busy("dst-nominal-day-duration.ics", ("2026-03-06T00:00", "2026-03-10T00:00")) == [
        iv("2026-03-07T18:00", "2026-03-08T17:00")
    ]


def test_duration_in_hours_is_exact_across_a_dst_change() -> None:
    # DTSTART 2026-11-01 00:30 CDT (05:30Z), DURATION PT2H: two real hours, 07:30Z (01:30 CST on the wall).
    assert busy("dst-exact-hours-duration.ics", ("2026-10-31T00:00", "2026-11-02T00:00")) == [
        iv("2026-11-01T05:30", "2026-11-01T07:30")
    ]


def test_duration_pt24h_is_exactly_24_hours_across_a_dst_change() -> None:
    # DTSTART 2026-03-07 12:00 CST (18:00Z), DURATION PT24H: 24 real hours, 2026-03-08 18:00Z (13:00 CDT on
    # the wall), not one local day (12:00 CDT = 17:00Z, which P1D gives).
    assert busy("dst-exact-24-hours-duration.ics", ("2026-03-06T00:00", "2026-03-10T00:00")) == [
        iv("2026-03-07T18:00", "2026-03-08T18:00")
    ]


def test_duration_days_are_nominal_and_hours_exact_in_one_value() -> None:
    # P1DT2H from 2026-03-07 12:00 CST (18:00Z): one local day to 03-08 12:00 CDT (17:00Z), then 2 real
    # hours: 19:00Z.  PT26H from 03-14 12:00 CDT (17:00Z): 03-15 19:00Z.  PT26H from 10-31 12:00 CDT
    # (17:00Z) across the fall-back: 11-01 19:00Z (13:00 CST), not a local day plus 2 h (20:00Z).
    assert busy("dst-day-then-exact-hours-duration.ics", ("2026-03-01T00:00", "2026-11-03T00:00")) == [
        iv("2026-03-07T18:00", "2026-03-08T19:00"),
        iv("2026-03-14T17:00", "2026-03-15T19:00"),
        iv("2026-10-31T17:00", "2026-11-01T19:00"),
    ]


def test_rdate_period_durations_are_nominal_days_and_exact_hours() -> None:
    # Master 2026-03-01 12:00 CST (18:00Z) for PT1H.  RDATE 03-07 12:00 CST/P1D: to 03-08 12:00 CDT (17:00Z,
    # 23 h).  RDATE 10-31 20:00 CDT (11-01 01:00Z)/PT24H: 24 real hours, 11-02 01:00Z (11-01 19:00 CST).
    assert busy("dst-period-durations.ics", ("2026-02-28T00:00", "2026-11-03T00:00")) == [
        iv("2026-03-01T18:00", "2026-03-01T19:00"),
        iv("2026-03-07T18:00", "2026-03-08T17:00"),
        iv("2026-11-01T01:00", "2026-11-02T01:00"),
    ]


# --- Recurrence ---------------------------------------------------------------------------------------------


def test_fifteen_year_old_daily_rule_keeps_local_time_across_dst_and_honours_exdate() -> None:
    # Daily 09:00-09:15 Chicago since 2011-11-07. 2026-10-29/31 are CDT (-5): 14:00Z; 2026-10-30 is an
    # EXDATE; from 2026-11-01 (CST, -6) the meeting is still at 09:00 local: 15:00Z.
    assert busy("daily-rule-15-years-old.ics", ("2026-10-29T00:00", "2026-11-04T00:00")) == [
        iv("2026-10-29T14:00", "2026-10-29T14:15"),
        iv("2026-10-31T14:00", "2026-10-31T14:15"),
        iv("2026-11-01T15:00", "2026-11-01T15:15"),
        iv("2026-11-02T15:00", "2026-11-02T15:15"),
        iv("2026-11-03T15:00", "2026-11-03T15:15"),
    ]


def test_fifteen_year_old_counted_rule_stops_after_its_last_occurrence() -> None:
    # COUNT=5476 from 2011-11-07: 5475 days later is 2026-11-03, the last one (15:00Z, CST).
    assert busy("daily-count-rule-15-years-old.ics", ("2026-11-02T00:00", "2026-11-07T00:00")) == [
        iv("2026-11-02T15:00", "2026-11-02T15:15"),
        iv("2026-11-03T15:00", "2026-11-03T15:15"),
    ]


def test_fifteen_year_old_rule_costs_about_what_a_new_one_costs() -> None:
    old = (CALENDARS / "daily-rule-15-years-old.ics").read_bytes()
    new = old.replace(b"20111107T09", b"20261026T09")
    span = window("2026-11-02T00:00", "2026-11-23T00:00")

    def cost(data: bytes) -> float:
        best = float("inf")
        for _ in range(7):
            started = time.perf_counter()
            parse_busy(data, source="bench", window=span, zone=CHICAGO, tentative_is_busy=True)
            best = min(best, time.perf_counter() - started)
        return best

    # Measured at ~1.0x; the bound leaves room for a noisy machine, not for walking 5,500 days of history.
    assert cost(old) < 2.0 * cost(new) + 0.002


def test_exdate_matches_in_utc_as_a_date_and_as_a_floating_time_in_the_series_zone() -> None:
    # Daily 09:00-10:00 Berlin (CET, +1: 08:00Z) Nov 2-6. EXDATE 08:00Z is Nov 3 09:00 Berlin; the DATE
    # Nov 4 removes that day; floating 09:00 on Nov 5 is read in the series' zone (Berlin), not the owner's.
    assert busy("exdate-forms-match-occurrences.ics", zone=CHICAGO) == [
        iv("2026-11-02T08:00", "2026-11-02T09:00"),
        iv("2026-11-06T08:00", "2026-11-06T09:00"),
    ]


def test_until_as_local_time_and_as_a_date_are_inclusive() -> None:
    # Daily 09:00 Chicago (CST: 15:00Z) UNTIL 20261104T090000 (no Z: Chicago time) -> Nov 2, 3, 4.
    # Daily 12:00 (18:00Z) UNTIL 20261111 (a date: that whole day) -> Nov 9, 10, 11.
    assert busy("until-as-local-time-and-as-date.ics") == [
        iv("2026-11-02T15:00", "2026-11-02T15:30"),
        iv("2026-11-03T15:00", "2026-11-03T15:30"),
        iv("2026-11-04T15:00", "2026-11-04T15:30"),
        iv("2026-11-09T18:00", "2026-11-09T18:30"),
        iv("2026-11-10T18:00", "2026-11-10T18:30"),
        iv("2026-11-11T18:00", "2026-11-11T18:30"),
    ]


def test_all_day_weekly_series_with_date_exdate_and_date_until() -> None:
    # Fridays Nov 6 .. Nov 27 (UNTIL a date, inclusive), Nov 13 removed. Chicago midnight (CST) = 06:00Z.
    assert busy("all-day-weekly-series.ics", ("2026-11-02T00:00", "2026-12-05T00:00")) == [
        iv("2026-11-06T06:00", "2026-11-07T06:00"),
        iv("2026-11-20T06:00", "2026-11-21T06:00"),
        iv("2026-11-27T06:00", "2026-11-28T06:00"),
    ]


def test_google_weekly_series_with_exdates_and_until() -> None:
    # Tue/Thu 10:00-11:00 America/New_York (EST after Nov 1: 15:00Z), EXDATE Thu Nov 5 and Tue Nov 10,
    # UNTIL 2026-11-24T04:59:59Z (Nov 23, 23:59:59 EST): Thu Nov 19 is the last one.
    assert busy("google-recurring-with-exdate.ics", ("2026-11-02T00:00", "2026-11-30T00:00")) == [
        iv("2026-11-03T15:00", "2026-11-03T16:00"),
        iv("2026-11-12T15:00", "2026-11-12T16:00"),
        iv("2026-11-17T15:00", "2026-11-17T16:00"),
        iv("2026-11-19T15:00", "2026-11-19T16:00"),
    ]


def test_recurrence_id_overrides_move_occurrences_into_and_out_of_the_window() -> None:
    # Weekly Tue 14:00-15:00 New York (EST: 19:00Z). Overrides: Oct 27 -> Wed Nov 4 09:00 (14:00Z), from
    # outside the window into it; Nov 10 -> Wed Nov 11 16:00-16:30 (21:00Z); Nov 17 -> Dec 1, out of it.
    assert busy("recurrence-id-override-moves-occurrence.ics", ("2026-11-02T00:00", "2026-11-23T00:00")) == [
        iv("2026-11-03T19:00", "2026-11-03T20:00"),
        iv("2026-11-04T14:00", "2026-11-04T15:00"),
        iv("2026-11-11T21:00", "2026-11-11T21:30"),
    ]


def test_override_with_status_cancelled_frees_that_one_occurrence() -> None:
    # Daily 09:00-09:30 Berlin (CET, +1: 08:00Z) Nov 2-6; the Nov 4 occurrence is cancelled by an override.
    expected = [
        iv("2026-11-02T08:00", "2026-11-02T08:30"),
        iv("2026-11-03T08:00", "2026-11-03T08:30"),
        iv("2026-11-05T08:00", "2026-11-05T08:30"),
        iv("2026-11-06T08:00", "2026-11-06T08:30"),
    ]
    assert busy("override-cancels-one-occurrence.ics") == expected
    assert blackouts("override-cancels-one-occurrence.ics") == expected


def test_status_and_transparency_are_judged_per_occurrence() -> None:
    # Weekly Tue 17:00-18:00Z, TENTATIVE; Nov 10 is overridden CONFIRMED, Nov 17 CONFIRMED but TRANSPARENT.
    name = "override-changes-status-per-occurrence.ics"
    span = ("2026-11-02T00:00", "2026-11-23T00:00")
    assert busy(name, span, tentative=False) == [iv("2026-11-10T17:00", "2026-11-10T18:00")]
    assert busy(name, span, tentative=True) == [
        iv("2026-11-03T17:00", "2026-11-03T18:00"),
        iv("2026-11-10T17:00", "2026-11-10T18:00"),
    ]
    # A blackout ignores TRANSP and tentativeness.
    assert len(blackouts(name, span)) == 3


def test_events_sharing_a_uid_both_block_unless_one_is_a_later_revision() -> None:
    # Two SEQUENCE-less events with one UID (a sloppy feed): both count. The "revised" UID has SEQUENCE 0
    # at 14:00Z and SEQUENCE 1 at 17:00Z on Nov 5: only the later revision counts.
    assert busy("uid-shared-by-two-events.ics") == [
        iv("2026-11-03T14:00", "2026-11-03T15:00"),
        iv("2026-11-04T14:00", "2026-11-04T15:00"),
        iv("2026-11-05T17:00", "2026-11-05T18:00"),
    ]


def test_override_without_its_master_is_a_plain_event() -> None:
    # Google exports the single instance of a series one was invited to: 15:00 Berlin (CET) = 14:00Z.
    assert busy("override-without-master.ics") == [iv("2026-11-12T14:00", "2026-11-12T15:00")]


def test_thisandfuture_override_reshapes_the_later_occurrences() -> None:
    # Weekly Tue 10:00-11:00Z x4; from Nov 10 on (RANGE=THISANDFUTURE) 13:00-13:30Z.
    assert busy(
        "range-thisandfuture-reshapes-later-occurrences.ics", ("2026-11-02T00:00", "2026-11-30T00:00")
    ) == [
        iv("2026-11-03T10:00", "2026-11-03T11:00"),
        iv("2026-11-10T13:00", "2026-11-10T13:30"),
        iv("2026-11-17T13:00", "2026-11-17T13:30"),
        iv("2026-11-24T13:00", "2026-11-24T13:30"),
    ]


def test_rdate_adds_occurrences_and_a_period_brings_its_own_length() -> None:
    # DTSTART Nov 2 15-16Z; RDATE Nov 4 and 6 at 17Z (one hour each, like DTSTART..DTEND); a PERIOD Nov 9
    # 13:00Z/PT3H; and Nov 11 10:00 Asia/Kolkata (+5:30) = 04:30Z.
    assert busy("rdate-extra-occurrences.ics") == [
        iv("2026-11-02T15:00", "2026-11-02T16:00"),
        iv("2026-11-04T17:00", "2026-11-04T18:00"),
        iv("2026-11-06T17:00", "2026-11-06T18:00"),
        iv("2026-11-09T13:00", "2026-11-09T16:00"),
        iv("2026-11-11T04:30", "2026-11-11T05:30"),
    ]


def test_impossible_rule_yields_nothing_and_does_not_hang() -> None:
    # Daily on February 30th never happens; dateutil alone would search for one until the year 9999.
    started = time.perf_counter()
    assert busy("impossible-rule-february-30.ics") == [iv("2026-11-03T09:00", "2026-11-03T10:00")]
    assert time.perf_counter() - started < 2.0


# --- Dates, floating times, durations -----------------------------------------------------------------------


def test_all_day_events_cover_whole_local_days_of_the_owner() -> None:
    # Nov 5-6 (DTEND Nov 7 exclusive). In Kolkata (+5:30) local midnight Nov 5 is Nov 4 18:30Z.
    # Nov 1 is also in the file: Kolkata midnight Nov 1 = Oct 31 18:30Z, to Nov 1 18:30Z.
    assert busy("all-day-date-event.ics", ("2026-10-30T00:00", "2026-11-10T00:00"), zone=KOLKATA) == [
        iv("2026-10-31T18:30", "2026-11-01T18:30"),
        iv("2026-11-04T18:30", "2026-11-06T18:30"),
    ]


def test_all_day_event_on_the_fall_back_day_lasts_25_hours() -> None:
    # Nov 1 in Chicago: midnight is CDT (05:00Z), the next midnight CST (06:00Z).
    assert busy("all-day-date-event.ics", ("2026-10-30T00:00", "2026-11-10T00:00"), zone=CHICAGO) == [
        iv("2026-11-01T05:00", "2026-11-02T06:00"),
        iv("2026-11-05T06:00", "2026-11-07T06:00"),
    ]


def test_floating_time_is_read_in_the_owners_zone() -> None:
    # 09:00-10:00 with no TZID and no Z: Kolkata (+5:30) 03:30Z; Chicago (CST, -6) 15:00Z.
    assert busy("floating-time.ics", zone=KOLKATA) == [iv("2026-11-05T03:30", "2026-11-05T04:30")]
    assert busy("floating-time.ics", zone=CHICAGO) == [iv("2026-11-05T15:00", "2026-11-05T16:00")]


def test_floating_value_beside_a_zoned_one_is_still_read_in_the_owners_zone() -> None:
    # An RFC-invalid mix exports produce; each floating value is read in the owner's zone (Chicago, CST -6),
    # never in the zone of the other property:
    #   DTSTART Kolkata 11-05 20:00 (14:30Z), floating DTEND 10:00 -> 16:00Z (in Kolkata: 04:30Z, before it);
    #   DTSTART 11-06 15:00Z, floating DTEND 10:00 -> 16:00Z (as UTC: 10:00Z, before it);
    #   floating DTSTART 11-09 09:00 -> 15:00Z, DTEND 16:00Z;
    #   weekly from 11-10 14:00 London (GMT = 14:00Z), floating DTEND 09:00 -> 15:00Z: every instance 1 h.
    assert busy("floating-end-beside-zoned-start.ics", ("2026-11-02T00:00", "2026-11-20T00:00")) == [
        iv("2026-11-05T14:30", "2026-11-05T16:00"),
        iv("2026-11-06T15:00", "2026-11-06T16:00"),
        iv("2026-11-09T15:00", "2026-11-09T16:00"),
        iv("2026-11-10T14:00", "2026-11-10T15:00"),
        iv("2026-11-17T14:00", "2026-11-17T15:00"),
    ]


def test_floating_end_that_really_ends_before_a_zoned_start_is_refused() -> None:
    # DTSTART 10:00 Chicago (16:00Z), floating DTEND 11:00. A Chicago owner: one hour (17:00Z). A Kolkata
    # owner: 11:00 IST = 05:30Z, before the start; the file says so, the calendar is malformed (spec section
    # 4: never taken as free) and the message says why the end moved.
    name = "floating-end-really-before-zoned-start.ics"
    assert busy(name) == [iv("2026-11-05T16:00", "2026-11-05T17:00")]
    with pytest.raises(CalendarError) as caught:
        busy(name, zone=KOLKATA)
    assert caught.value.detail == (
        "line 8 (in the VEVENT starting at line 4): the end is before the start "
        "(the end has no TZID or Z, so it is read in the calendar owner's time zone)"
    )


def test_duration_replaces_a_missing_dtend() -> None:
    # 14:00Z + PT1H30M; and DATE Nov 10 + P2D: Nov 10-11 Chicago (CST midnight = 06:00Z).
    assert busy("duration-no-dtend.ics") == [
        iv("2026-11-03T14:00", "2026-11-03T15:30"),
        iv("2026-11-10T06:00", "2026-11-12T06:00"),
    ]


def test_date_start_without_end_is_one_whole_local_day() -> None:
    # Nov 10 in Berlin (CET, +1): Nov 9 23:00Z to Nov 10 23:00Z.
    assert busy("date-start-no-end.ics", zone=BERLIN) == [iv("2026-11-09T23:00", "2026-11-10T23:00")]


def test_date_time_start_without_end_or_duration_blocks_nothing() -> None:
    assert busy("datetime-start-no-end-blocks-nothing.ics") == []
    assert blackouts("datetime-start-no-end-blocks-nothing.ics") == []


def test_intervals_are_clipped_to_the_window() -> None:
    # The all-day Nov 5-6 block (06:00Z..06:00Z in Chicago) seen through a Nov 6 12:00Z - Nov 8 window.
    assert busy("all-day-date-event.ics", ("2026-11-06T12:00", "2026-11-08T00:00")) == [
        iv("2026-11-06T12:00", "2026-11-07T06:00")
    ]


# --- Time zones as producers write them ---------------------------------------------------------------------


def test_outlook_windows_tzids_with_their_vtimezones() -> None:
    # "W. Europe Standard Time" weekly Mon 16:00-17:00: Oct 19 CEST (+2) 14:00Z; EU DST ends Oct 25, so
    # Oct 26 and Nov 2 are CET (+1) 15:00Z. "Pacific Standard Time" Wed Oct 28 09:00-10:00 PDT (-7) 16:00Z
    # (US DST ends Nov 1). The all-day Nov 4 offsite is TRANSP:TRANSPARENT, Outlook's "free": not busy.
    assert busy("outlook-windows-tzid.ics", ("2026-10-19T00:00", "2026-11-05T00:00")) == [
        iv("2026-10-19T14:00", "2026-10-19T15:00"),
        iv("2026-10-26T15:00", "2026-10-26T16:00"),
        iv("2026-10-28T16:00", "2026-10-28T17:00"),
        iv("2026-11-02T15:00", "2026-11-02T16:00"),
    ]


def test_outlook_free_all_day_event_is_still_a_blackout() -> None:
    # Nov 4 all day in Chicago (CST): 06:00Z to 06:00Z, next to the Monday Nov 2 meeting.
    assert blackouts("outlook-windows-tzid.ics", ("2026-11-02T00:00", "2026-11-05T00:00")) == [
        iv("2026-11-02T15:00", "2026-11-02T16:00"),
        iv("2026-11-04T06:00", "2026-11-05T00:00"),
    ]


def test_tzid_only_defined_by_an_in_file_vtimezone_follows_its_rules_and_the_gap_rule() -> None:
    # "Customized Time Zone" has Chicago's rules: the gap and fold behave as for America/Chicago.
    name = "made-up-tzid-defined-by-vtimezone.ics"
    assert busy(name, ("2026-03-07T00:00", "2026-03-10T00:00")) == [
        iv("2026-03-07T08:30", "2026-03-07T09:00"),
        iv("2026-03-08T08:30", "2026-03-08T09:00"),
        iv("2026-03-09T07:30", "2026-03-09T08:00"),
    ]
    assert busy(name, ("2026-11-01T00:00", "2026-11-02T00:00")) == [
        iv("2026-11-01T06:30", "2026-11-01T06:45")
    ]


@pytest.mark.parametrize("order", [("plus", "minus"), ("minus", "plus")])
def test_same_made_up_tzid_in_two_files_means_what_each_file_says(order: tuple[str, str]) -> None:
    # icalendar caches the first VTIMEZONE it sees per name, process-wide; each file must still win.
    # Noon in "Team Zone": +05:30 -> 06:30Z; -03:00 -> 15:00Z.
    expected = {
        "plus": ("same-made-up-tzid-plus-0530.ics", iv("2026-11-03T06:30", "2026-11-03T07:30")),
        "minus": ("same-made-up-tzid-minus-0300.ics", iv("2026-11-03T15:00", "2026-11-03T16:00")),
    }
    for key in order:
        name, span = expected[key]
        assert busy(name) == [span]


@pytest.mark.filterwarnings("ignore::icalendar.error.GloballyUniqueTZIDGuessed")  # icalendar notes its guess
def test_windows_name_and_vendor_prefixed_tzid_without_vtimezone() -> None:
    # "India Standard Time" is Asia/Kolkata (+5:30): 15:00 -> 09:30Z. "/mozilla.org/.../Europe/Berlin" is
    # Europe/Berlin (CET, +1): 15:00 -> 14:00Z.
    assert busy("windows-and-vendor-tzids-without-vtimezone.ics") == [
        iv("2026-11-03T09:30", "2026-11-03T10:30"),
        iv("2026-11-04T14:00", "2026-11-04T15:00"),
    ]


def test_vtimezone_may_come_after_the_events_that_use_it() -> None:
    # Noon at "Plant Site Time" (+03:00, defined at the end of the file) = 09:00Z.
    assert busy("vtimezone-defined-after-use.ics") == [iv("2026-11-03T09:00", "2026-11-03T10:00")]


def test_icalendar_generated_vtimezones() -> None:
    # 15:00-16:30 Asia/Kolkata (+5:30) = 09:30Z-11:00Z; 09:00-10:00 Australia/Lord_Howe on Nov 4, in its
    # half-hour daylight time (+11:00) = Nov 3 22:00Z-23:00Z.
    assert busy("icalendar-generated-vtimezone.ics") == [
        iv("2026-11-03T09:30", "2026-11-03T11:00"),
        iv("2026-11-03T22:00", "2026-11-03T23:00"),
    ]


# --- What counts as busy ------------------------------------------------------------------------------------


def test_tentative_counts_only_when_tentative_is_busy() -> None:
    tentative, confirmed = (
        iv("2026-11-03T14:00", "2026-11-03T15:00"),
        iv("2026-11-04T14:00", "2026-11-04T15:00"),
    )
    assert busy("tentative-event.ics", tentative=True) == [tentative, confirmed]
    assert busy("tentative-event.ics", tentative=False) == [confirmed]
    assert blackouts("tentative-event.ics") == [tentative, confirmed]


def test_transparent_event_is_not_busy_but_is_a_blackout() -> None:
    transparent, opaque = (
        iv("2026-11-03T14:00", "2026-11-03T15:00"),
        iv("2026-11-04T14:00", "2026-11-04T15:00"),
    )
    assert busy("transparent-event.ics") == [opaque]
    assert blackouts("transparent-event.ics") == [transparent, opaque]


def test_cancelled_event_is_neither_busy_nor_a_blackout() -> None:
    still_on = [iv("2026-11-04T14:00", "2026-11-04T15:00")]
    assert busy("cancelled-event.ics") == still_on
    assert blackouts("cancelled-event.ics") == still_on


def test_vfreebusy_periods_by_fbtype() -> None:
    # BUSY (default, start/end), BUSY (start/duration), FREE (nothing), BUSY-UNAVAILABLE, and two
    # BUSY-TENTATIVE periods that count only when tentative is busy.
    firm = [
        iv("2026-11-02T14:00", "2026-11-02T15:00"),
        iv("2026-11-03T14:00", "2026-11-03T14:30"),
        iv("2026-11-04T00:00", "2026-11-04T08:00"),
    ]
    maybe = [iv("2026-11-05T14:00", "2026-11-05T15:00"), iv("2026-11-05T17:00", "2026-11-05T18:00")]
    assert busy("vfreebusy-periods.ics", tentative=False) == firm
    assert busy("vfreebusy-periods.ics", tentative=True) == firm + maybe
    assert blackouts("vfreebusy-periods.ics") == firm + maybe


def test_hold_for_the_same_escalation_is_not_busy() -> None:
    ours, theirs = iv("2026-11-05T15:00", "2026-11-05T16:00"), iv("2026-11-06T15:00", "2026-11-06T16:00")
    assert busy("readout-hold-same-escalation.ics", exclude="ESC-48213") == [theirs]
    assert busy("readout-hold-same-escalation.ics", exclude=None) == [ours, theirs]


# --- Errors -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("empty.ics", "the file is empty"),
        ("not-icalendar.ics", "not an iCalendar file: line 1 is not BEGIN:VCALENDAR"),
        ("malformed-bad-dtstart.ics", "line 7 (in the VEVENT starting at line 4): DTSTART cannot be parsed"),
        ("malformed-bad-rrule.ics", "line 9 (in the VEVENT starting at line 4): RRULE cannot be parsed"),
        (
            "malformed-rrule-interval-zero.ics",
            "line 9 (in the VEVENT starting at line 4): RRULE INTERVAL must be a whole number of at least 1",
        ),
        (
            "malformed-unknown-tzid.ics",
            "line 7 (in the VEVENT starting at line 4): "
            "the TZID of DTSTART is not a known time zone and no VTIMEZONE defines it",
        ),
        (
            "malformed-rrule-every-second.ics",
            "line 9 (in the VEVENT starting at line 4): "
            "RRULE has more than 20,000 occurrences in the window (see docs/limits.md)",
        ),
        ("malformed-unclosed-vevent.ics", "line 10: END:VCALENDAR while VEVENT (line 4) is still open"),
        (
            "malformed-dtend-before-dtstart.ics",
            "line 8 (in the VEVENT starting at line 4): the end is before the start",
        ),
        (
            "malformed-broken-content-line.ics",
            "line 8 (in the VEVENT starting at line 4): a line cannot be parsed",
        ),
    ],
)
def test_unreadable_calendar_names_the_file_and_the_problem(name: str, expected: str) -> None:
    error = error_of(name)
    assert error.source == str(CALENDARS / name)
    assert error.detail == expected


def test_missing_file_is_an_error_not_a_free_calendar() -> None:
    error = error_of("no-such-calendar.ics")
    assert error.detail == "file not found"


def test_directory_is_an_error() -> None:
    with pytest.raises(CalendarError, match="is a directory"):
        read_busy(CALENDARS, window=window(*NOVEMBER), zone=CHICAGO, tentative_is_busy=True)


def test_unreadable_file_is_an_error(tmp_path: Path) -> None:
    locked = tmp_path / "locked.ics"
    locked.write_bytes((CALENDARS / "tentative-event.ics").read_bytes())
    locked.chmod(0)
    try:
        if _can_read(locked):
            pytest.skip("running with privileges that ignore file permissions")
        with pytest.raises(CalendarError, match="permission denied"):
            read_busy(locked, window=window(*NOVEMBER), zone=CHICAGO, tentative_is_busy=True)
    finally:
        locked.chmod(0o600)


def _can_read(path: Path) -> bool:
    try:
        path.read_bytes()
    except PermissionError:
        return False
    return True


@pytest.mark.parametrize(
    "data",
    [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b'{"events": []}', b"BEGIN:VCALENDAR\r\n", b"   \r\n\r\n"],
)
def test_bytes_that_are_not_a_calendar_raise_calendar_error(data: bytes) -> None:
    with pytest.raises(CalendarError) as caught:
        parse_busy(
            data,
            source="https://calendar.example/feed.ics",
            window=window(*NOVEMBER),
            zone=CHICAGO,
            tentative_is_busy=True,
        )
    assert caught.value.source == "https://calendar.example/feed.ics"


def test_parse_from_bytes_names_the_remote_source_and_reads_like_a_file() -> None:
    data = (CALENDARS / "transparent-event.ics").read_bytes()
    span = window(*NOVEMBER)
    assert parse_blackouts(data, source="https://x.example/cab.ics", window=span, zone=CHICAGO) == tuple(
        blackouts("transparent-event.ics")
    )
    assert parse_busy(
        data, source="https://x.example/cab.ics", window=span, zone=CHICAGO, tentative_is_busy=False
    ) == (iv("2026-11-04T14:00", "2026-11-04T15:00"),)


MANGLES = [
    b"",
    b"20261301",
    b"T",
    b"Z",
    b";",
    b":",
    b",",
    b"\r\n ",
    b"TZID=Nowhere",
    b"VALUE=DATE",
    b"P1W",
    b"/",
]
MANGLES += [b"END:VEVENT", b"BEGIN:VEVENT", b"RRULE:FREQ=DAILY;INTERVAL=0", b"EXDATE:2026", b"\xff\xfe", b"-"]


@pytest.mark.filterwarnings("ignore::icalendar.error.GloballyUniqueTZIDGuessed")
@settings(max_examples=150, deadline=None)
@given(
    name=st.sampled_from(sorted(path.name for path in CALENDARS.glob("*.ics") if path.stat().st_size)),
    edits=st.lists(
        st.tuples(st.floats(0, 1), st.integers(0, 8), st.sampled_from(MANGLES)), min_size=1, max_size=4
    ),
)
def test_a_mangled_calendar_is_read_or_refused_never_a_traceback(
    name: str, edits: list[tuple[float, int, bytes]]
) -> None:
    data = bytearray((CALENDARS / name).read_bytes())
    for where, cut, insert in edits:
        position = int(where * (len(data) - 1))
        data[position : position + cut] = insert
    outcome: tuple[Interval, ...] | CalendarError
    try:
        outcome = parse_busy(
            bytes(data), source="mangled", window=window(*NOVEMBER), zone=CHICAGO, tentative_is_busy=True
        )
    except CalendarError as error:
        outcome = error
    if isinstance(outcome, CalendarError):
        assert outcome.source == "mangled"
        assert outcome.detail
    else:
        assert all(window(*NOVEMBER).contains(block) for block in outcome)


# --- Privacy ------------------------------------------------------------------------------------------------

SECRETS = ("CONFIDENTIAL", "Initech", "Lumbergh", "Gibbons", "Wallaby", "Boardroom", "initech.example")


def _leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret.lower() in text.lower()]


def test_only_intervals_survive_parsing(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    found = read_busy(
        CALENDARS / "secret-content.ics", window=window(*NOVEMBER), zone=CHICAGO, tentative_is_busy=True
    )
    blocks = read_blackouts(CALENDARS / "secret-content.ics", window=window(*NOVEMBER), zone=CHICAGO)
    assert found == blocks == (iv("2026-11-03T14:00", "2026-11-03T15:00"),)
    assert all(type(item) is Interval for item in found)
    captured = capsys.readouterr()
    assert _leaks(repr(found) + repr(blocks) + caplog.text + captured.out + captured.err) == []


@pytest.mark.parametrize(
    "name", ["secret-content-malformed-event.ics", "secret-content-malformed-calendar.ics"]
)
def test_errors_never_quote_event_content(
    name: str, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    # The fixture is a real trap: icalendar's own messages (or the errors it records) quote the content.
    data = (CALENDARS / name).read_bytes()
    try:
        recorded = [str(c.errors) for c in Calendar.from_ical(data).walk()]
    except ValueError as library_error:
        recorded = [str(library_error)]
    assert "CONFIDENTIAL" in " ".join(recorded)
    error = error_of(name)
    # The error neither says nor carries (as a cause or context) anything the file held.
    assert error.__cause__ is None
    assert error.__context__ is None
    captured = capsys.readouterr()
    assert _leaks(str(error) + repr(error) + caplog.text + captured.out + captured.err) == []
    assert str(error).startswith(str(CALENDARS / name) + ": line ")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "secret-content-unknown-tzid.ics",
            "line 7 (in the VEVENT starting at line 4): "
            "the TZID of DTSTART is not a known time zone and no VTIMEZONE defines it",
        ),
        (
            "secret-content-unclosed-component.ics",
            "line 11: END:VCALENDAR while a non-standard component (line 4) is still open",
        ),
        (
            "secret-content-stray-end.ics",
            "line 10: the END of a non-standard component while VCALENDAR (line 1) is still open",
        ),
        (
            "secret-content-event-inside-made-up-component.ics",
            "a VEVENT is nested inside a non-standard component; RFC 5545 does not allow it",
        ),
    ],
)
def test_issue_9_errors_never_quote_a_tzid_or_a_component_name(name: str, expected: str) -> None:
    # A TZID and a component name are whatever the producer wrote: content, for a file or a feed alike (a
    # feed's error is kept in the plan and the audit trail).
    data = (CALENDARS / name).read_bytes()
    assert b"CONFIDENTIAL" in data
    local = error_of(name)
    with pytest.raises(CalendarError) as remote:
        parse_busy(
            data,
            source="https://x.example/f.ics",
            window=window(*NOVEMBER),
            zone=CHICAGO,
            tentative_is_busy=True,
        )
    for error in (local, remote.value):
        assert error.detail == expected
        assert _leaks(str(error) + repr(error)) == []
        assert error.__cause__ is None


def test_floating_thisandfuture_recurrence_id_is_read_in_the_series_zone() -> None:
    # Daily 09:00-10:00 London (GMT = 09Z) from 11-02; a THISANDFUTURE override with floating RECURRENCE-ID
    # 11-04 09:00 (the series' zone: 09Z, not the Chicago owner's 15Z) moves it and later ones to 11:00Z.
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:s\r\nDTSTAMP:20261001T000000Z\r\n"
        "DTSTART;TZID=Europe/London:20261102T090000\r\nDTEND;TZID=Europe/London:20261102T100000\r\n"
        "RRULE:FREQ=DAILY;COUNT=4\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:s\r\nDTSTAMP:20261001T000000Z\r\n"
        "RECURRENCE-ID;RANGE=THISANDFUTURE:20261104T090000\r\nDTSTART:20261104T110000Z\r\n"
        "DTEND:20261104T120000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    got = parse_busy(
        text.encode(), source="s.ics", window=window(*NOVEMBER), zone=CHICAGO, tentative_is_busy=True
    )
    assert list(got) == [
        iv("2026-11-02T09:00", "2026-11-02T10:00"),
        iv("2026-11-03T09:00", "2026-11-03T10:00"),
        iv("2026-11-04T11:00", "2026-11-04T12:00"),
        iv("2026-11-05T11:00", "2026-11-05T12:00"),
    ]
