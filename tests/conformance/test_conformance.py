"""Outside conformance tests for docs/spec "Case file v1 and the meaning of "compliant slot"".

Every expected value below was computed by hand from the spec text alone (not from the code); the
arithmetic is in the comments.  Each case runs the real CLI:

    .venv/bin/readout plan CASE --json --all --now TS

Conventions in the comments: `Z` times are UTC; "starts" means the candidate starts of spec section 3;
`[a, b)` are half-open intervals.  Offsets used (checked with zoneinfo): America/New_York -05:00,
America/Chicago -06:00 (after 2026-11-01 02:00 CDT -> 01:00 CST), America/Los_Angeles -08:00,
Asia/Kolkata +05:30, Asia/Tokyo +09:00, Asia/Dhaka +06:00, Europe/London +00:00, Europe/Madrid and
Europe/Paris +01:00, America/Bogota -05:00 (all for November 2026).
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / ".venv" / "bin" / "readout"
CASES = Path(__file__).resolve().parent / "cases"


def run_plan(case: Path, now: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), "plan", str(case), "--json", "--all", "--now", now, *extra],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def plan(case: str, now: str) -> dict[str, Any]:
    path = next((CASES / case).glob("case.*"))
    proc = run_plan(path, now)
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def z(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone(UTC)


def fmt(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def grid(first: str, last: str, step_min: int) -> list[datetime]:
    """Every start from `first` to `last` inclusive, `step_min` apart."""
    out, t, end = [], z(first), z(last)
    while t <= end:
        out.append(t)
        t += timedelta(minutes=step_min)
    return out


def slots(starts: list[datetime] | list[str], dur_min: int) -> set[tuple[str, str]]:
    out = set()
    for s in starts:
        t = z(s) if isinstance(s, str) else s
        out.add((fmt(t), fmt(t + timedelta(minutes=dur_min))))
    return out


def cand_set(result: dict[str, Any]) -> set[tuple[str, str]]:
    return {(c["start"], c["end"]) for c in result["candidates"]}


def near_set(result: dict[str, Any]) -> set[tuple[str, str, tuple[str, ...]]]:
    return {(n["start"], n["end"], tuple(sorted(n["waivers"]))) for n in result["near_misses"]}


def assert_violations(result: dict[str, Any], expected: dict[str, int]) -> None:
    got = {k: v for k, v in result["violations"].items() if v}
    assert got == {k: v for k, v in expected.items() if v}


def assert_sorted_by_start(result: dict[str, Any]) -> None:
    starts = [n["start"] for n in result["near_misses"]]
    assert starts == sorted(starts)


# --------------------------------------------------------------------------------------------------
# C01  business days across Thanksgiving (holidays package) + an `extra` holiday + a weekend; min notice
# --------------------------------------------------------------------------------------------------
def test_c01_business_days_weekend_holiday_extra() -> None:
    # T = America/New_York, H = US holidays + 2026-11-27.
    # approved 2026-11-25T10:00-05:00 -> a = Wed 2026-11-25.
    # Thu 11-26 Thanksgiving (US), Fri 11-27 extra, Sat 28, Sun 29 -> d1 = Mon 11-30 (N = 1).
    # deadline = Tue 2026-12-01 00:00 EST = 2026-12-01T05:00Z.
    # earliest = max(now 2026-11-30T11:00Z, approved 2026-11-25T15:00Z) + 3 h = 2026-11-30T14:00Z.
    # (The file's own `now:` 2026-11-20 is overridden by --now.)
    # No coverage -> UTC hourly grid; starts 14Z..04Z(+1d) (04Z + 1 h = deadline) = 10 + 5 = 15.
    # Meeting hours Mon 09:00-17:00 EST = [14Z, 22Z) -> starts 14..21Z = 8 compliant; 15 - 8 = 7 violations.
    r = plan("c01_bizdays_weekend_holiday", "2026-11-30T11:00:00Z")
    assert r["status"] == "ready"
    assert r["not_ready"] == []
    assert r["earliest_start"] == "2026-11-30T14:00:00Z"
    assert r["deadline"] == "2026-12-01T05:00:00Z"
    assert cand_set(r) == slots(grid("2026-11-30T14:00:00Z", "2026-11-30T21:00:00Z", 60), 60)
    assert near_set(r) == set()
    assert_violations(r, {"CUSTOMER_HOURS": 7})
    assert r["causes"] == []
    assert all(c["interpreter"] is None for c in r["candidates"])


# --------------------------------------------------------------------------------------------------
# C02  approval late at night in another zone (JSON); min notice; earliest not on the grid
# --------------------------------------------------------------------------------------------------
def test_c02_late_approval_other_zone_json() -> None:
    # approved 2026-11-04T07:30+01:00 = 2026-11-04T06:30Z = Tue 2026-11-03 22:30 PST -> a = Tue 11-03
    # (a UTC- or approver-zone date would give Wed 11-04).  d1 = Wed 11-04.
    # deadline = Thu 11-05 00:00 PST = 2026-11-05T08:00Z.
    # earliest = max(now 06:00Z, approved 06:30Z) + 2 h = 2026-11-04T08:30Z (not on the UTC hour grid).
    # Starts: 09Z 11-04 .. 07Z 11-05 -> 15 + 8 = 23.
    # Meeting hours Wed 09:00-12:00 PST = [17Z, 20Z) -> 17, 18, 19Z compliant; 23 - 3 = 20 violations.
    r = plan("c02_late_approval_other_zone", "2026-11-04T06:00:00Z")
    assert r["status"] == "ready"
    assert r["earliest_start"] == "2026-11-04T08:30:00Z"
    assert r["deadline"] == "2026-11-05T08:00:00Z"
    assert cand_set(r) == slots(["2026-11-04T17:00:00Z", "2026-11-04T18:00:00Z", "2026-11-04T19:00:00Z"], 60)
    assert near_set(r) == set()
    assert_violations(r, {"CUSTOMER_HOURS": 20})
    assert r["causes"] == []


# --------------------------------------------------------------------------------------------------
# C03  policy.business_days overrides the customer's zone and holidays
# --------------------------------------------------------------------------------------------------
def test_c03_business_days_override() -> None:
    # T = Asia/Tokyo, H = JP.  approved 2026-11-02T10:00+09:00 -> a = Mon 11-02 (Tokyo).
    # Tue 11-03 is Culture Day (JP) -> d1 = Wed 11-04.  deadline = Thu 11-05 00:00 JST = 2026-11-04T15:00Z.
    # (Customer zone NY would give a = Sun 11-01, d1 = Mon 11-02, deadline 2026-11-03T05:00Z.)
    # earliest = 2026-11-04T12:00Z (now > approved, notice 0).  Starts 12, 13, 14Z; nothing else applies.
    r = plan("c03_business_days_override", "2026-11-04T12:00:00Z")
    assert r["status"] == "ready"
    assert r["earliest_start"] == "2026-11-04T12:00:00Z"
    assert r["deadline"] == "2026-11-04T15:00:00Z"
    assert cand_set(r) == slots(grid("2026-11-04T12:00:00Z", "2026-11-04T14:00:00Z", 60), 60)
    assert near_set(r) == set()
    assert_violations(r, {})
    assert r["causes"] == []


# --------------------------------------------------------------------------------------------------
# C04  coverage: windows past midnight, adjacent windows join, coverage holiday, grid at +05:30
# --------------------------------------------------------------------------------------------------
def test_c04_coverage_midnight_join_holiday() -> None:
    # T = Asia/Kolkata (no holidays). approved Fri 2026-10-30 -> d1..d3 = Mon 11-02, Tue 11-03, Wed 11-04.
    # deadline = Thu 11-05 00:00 IST = 2026-11-04T18:30Z.  now = Mon 00:00 IST = 2026-11-01T18:30Z = earliest.
    # Grid: whole IST hours (= :30 UTC).  duration 120 -> last start Wed 22:00 IST = 2026-11-04T16:30Z.
    # Starts Mon 00:00 .. Wed 22:00 IST = 24 + 24 + 23 = 71.
    # Coverage (IST): Mon 22-24 + Tue 00-01 join -> [Mon 22:00, Tue 01:00) (3 h);
    #   Tue 23:00-01:00 belongs to Tue (not a holiday) -> [Tue 23:00, Wed 01:00) (2 h);
    #   Wed 10-12 is on the coverage holiday 2026-11-04 -> removed.
    # 2-h slots inside: Mon 22:00, Mon 23:00, Tue 23:00 IST
    #   = 2026-11-02T16:30Z, 2026-11-02T17:30Z, 2026-11-03T17:30Z.
    # COVERAGE violations = 71 - 3 = 68; every other start breaks only COVERAGE -> 68 near misses.
    r = plan("c04_coverage_midnight_join_holiday", "2026-11-01T18:30:00Z")
    compliant = ["2026-11-02T16:30:00Z", "2026-11-02T17:30:00Z", "2026-11-03T17:30:00Z"]
    everything = grid("2026-11-01T18:30:00Z", "2026-11-04T16:30:00Z", 60)
    assert len(everything) == 71
    assert r["status"] == "ready"
    assert r["earliest_start"] == "2026-11-01T18:30:00Z"
    assert r["deadline"] == "2026-11-04T18:30:00Z"
    assert cand_set(r) == slots(compliant, 120)
    others = slots(everything, 120) - slots(compliant, 120)
    assert near_set(r) == {(s, e, ("COVERAGE",)) for s, e in others}
    assert_sorted_by_start(r)
    assert_violations(r, {"COVERAGE": 68})
    assert r["causes"] == []


# --------------------------------------------------------------------------------------------------
# C05  DST: coverage zone America/Chicago across the 2026-11-01 fall-back, granularity 30
# --------------------------------------------------------------------------------------------------
def test_c05_dst_chicago_fall_back() -> None:
    # T = America/Chicago.  approved Thu 2026-10-29 -> d1 = Fri 10-30, d2 = Mon 11-02.
    # deadline = Tue 11-03 00:00 CST = 2026-11-03T06:00Z.  earliest = now = 2026-11-01T04:00Z (Sat 23:00 CDT).
    # Offsets are whole hours, so every :00/:30 UTC instant is a multiple of 30 min after local midnight.
    # Starts 2026-11-01T04:00Z .. 2026-11-03T05:00Z every 30 min = 49 h * 2 + 1 = 99.
    # Coverage Sun 01:30-02:30: 01:30 is ambiguous -> fold=0 -> first (CDT) = 06:30Z; 02:30 CST = 08:30Z.
    # -> coverage [06:30Z, 08:30Z) is 2 real hours: 60-min slots at 06:30, 07:00, 07:30Z.
    # COVERAGE violations 99 - 3 = 96, all near misses with [COVERAGE].
    r = plan("c05_dst_chicago_fallback", "2026-11-01T04:00:00Z")
    compliant = ["2026-11-01T06:30:00Z", "2026-11-01T07:00:00Z", "2026-11-01T07:30:00Z"]
    everything = grid("2026-11-01T04:00:00Z", "2026-11-03T05:00:00Z", 30)
    assert len(everything) == 99
    assert r["status"] == "ready"
    assert r["earliest_start"] == "2026-11-01T04:00:00Z"
    assert r["deadline"] == "2026-11-03T06:00:00Z"
    assert cand_set(r) == slots(compliant, 60)
    others = slots(everything, 60) - slots(compliant, 60)
    assert near_set(r) == {(s, e, ("COVERAGE",)) for s, e in others}
    assert_violations(r, {"COVERAGE": 96})
    assert r["causes"] == []


# --------------------------------------------------------------------------------------------------
# C06  customer meeting hours removed on a customer holiday; absolute / weekly / calendar CAB blackouts
# --------------------------------------------------------------------------------------------------
def test_c06_customer_holiday_and_cab_blackouts() -> None:
    # T = America/New_York, H = US.  approved Mon 11-09 -> d1 = Tue 11-10, Wed 11-11 Veterans Day,
    # d2 = Thu 11-12.  deadline = Fri 11-13 00:00 EST = 2026-11-13T05:00Z.  earliest = now = 11-10T05:00Z.
    # Starts 11-10T05Z .. 11-13T04Z hourly = 72.
    # Meeting 09-12 EST = [14Z,17Z) Tue and Thu (Wed is a customer holiday) -> 6 starts; 72 - 6 = 66.
    # Blackouts: absolute [Tue 14:30Z, 15:00Z) -> Tue 14; weekly thu 11:00-11:30 EST = [Thu 16:00Z, 16:30Z)
    #   -> Thu 16; calendar TRANSPARENT [Thu 14Z, 15Z) -> Thu 14; calendar TENTATIVE [Thu 15:00Z, 15:30Z)
    #   -> Thu 15 (a non-cancelled VEVENT even with tentative_is_busy false); CANCELLED Tue 16Z: nothing.
    #   Neighbours only touch the blocks' edges (half-open) -> CAB_BLACKOUT = 4.
    # Compliant: Tue 15Z, Tue 16Z.
    r = plan("c06_customer_holiday_cab", "2026-11-10T05:00:00Z")
    assert r["status"] == "ready"
    assert r["earliest_start"] == "2026-11-10T05:00:00Z"
    assert r["deadline"] == "2026-11-13T05:00:00Z"
    assert cand_set(r) == slots(["2026-11-10T15:00:00Z", "2026-11-10T16:00:00Z"], 60)
    assert near_set(r) == set()
    assert_violations(r, {"CUSTOMER_HOURS": 66, "CAB_BLACKOUT": 4})
    assert r["causes"] == []


# --------------------------------------------------------------------------------------------------
# C07  protected handoff windows (explicit and default timezone), availability, both waivers, causes
# --------------------------------------------------------------------------------------------------
def test_c07_handoff_availability_near_misses_json() -> None:
    # T = Europe/London.  approved Mon 11-02 -> d1 = Tue 11-03; deadline 2026-11-04T00:00Z.
    # earliest = now = 2026-11-03T08:00Z.  Coverage zone London (= UTC) -> hourly; starts 08..23Z = 16.
    # CUSTOMER_HOURS: tue 08-16 -> starts 08..15 ok; 16..23 break -> 8.
    # ATTENDEE:customer_incident_manager (luis, NY): tue 04:00-10:00 EST = [09Z,15Z) -> 09..14 ok -> 10.
    # COVERAGE: tue 11-13 London -> starts 11, 12 ok -> 14.
    # HANDOFF_WINDOW (ravi): {tue 11:00-13:00, timezone Europe/London} -> 11, 12;
    #   {tue 19:30-20:30} in his own Asia/Kolkata = [14:00Z, 15:00Z) -> 14.  -> 3.
    #   sam is only an optional attendee: his protected window / availability constrain nothing.
    # Slots passing the unwaivable families: 09..14:
    #   09 [COVERAGE], 10 [COVERAGE], 11 [HANDOFF_WINDOW], 12 [HANDOFF_WINDOW], 13 [COVERAGE],
    #   14 [COVERAGE, HANDOFF_WINDOW].  No compliant slot -> needs_exception.
    # causes: relax COVERAGE -> 09,10,13 comply; relax HANDOFF_WINDOW -> 11,12 comply;
    #   relax CUSTOMER_HOURS -> 16..23 still break availability; relax ATTENDEE -> 08, 15 still break
    #   COVERAGE.  => {COVERAGE, HANDOFF_WINDOW}.
    r = plan("c07_handoff_availability_near_misses", "2026-11-03T08:00:00Z")
    assert r["status"] == "needs_exception"
    assert r["earliest_start"] == "2026-11-03T08:00:00Z"
    assert r["deadline"] == "2026-11-04T00:00:00Z"
    assert cand_set(r) == set()

    def nm(h: int, *w: str) -> tuple[str, str, tuple[str, ...]]:
        return (f"2026-11-03T{h:02d}:00:00Z", f"2026-11-03T{h + 1:02d}:00:00Z", tuple(sorted(w)))

    assert near_set(r) == {
        nm(9, "COVERAGE"),
        nm(10, "COVERAGE"),
        nm(11, "HANDOFF_WINDOW"),
        nm(12, "HANDOFF_WINDOW"),
        nm(13, "COVERAGE"),
        nm(14, "COVERAGE", "HANDOFF_WINDOW"),
    }
    assert_sorted_by_start(r)
    assert all(n["interpreter"] is None for n in r["near_misses"])
    assert_violations(
        r,
        {
            "CUSTOMER_HOURS": 8,
            "ATTENDEE:customer_incident_manager": 10,
            "COVERAGE": 14,
            "HANDOFF_WINDOW": 3,
        },
    )
    assert sorted(r["causes"]) == ["COVERAGE", "HANDOFF_WINDOW"]


# --------------------------------------------------------------------------------------------------
# C08  busy time from .ics
# --------------------------------------------------------------------------------------------------
# T = America/Chicago. approved Mon 11-02 -> d1 Tue 11-03, d2 Wed 11-04; deadline = Thu 11-05 00:00 CST
# = 2026-11-05T06:00Z.  earliest = now = 2026-11-03T13:00Z.  UTC hourly grid:
# starts Tue 13..23 (11) + Wed 00..23 (24) + Thu 00..05 (6) = 41.
# Meeting hours 07:00-13:00 CST = [13Z, 19Z) Tue & Wed -> 12 starts ok; CUSTOMER_HOURS = 41 - 12 = 29.
# ravi (Asia/Dhaka, +06): all-day DATE 2026-11-04 without DTEND = one local day
#   = [2026-11-03T18:00Z, 2026-11-04T18:00Z) -> starts Tue 18..23 (6) + Wed 00..17 (18) = 24 busy.
#   (a UTC day would instead block Wed 00..23 and free Tue 18 / block Wed 18.)
# dana (America/Chicago):
#   r1 DAILY COUNT=3 from Mon 13Z, EXDATE Tue 13Z -> busy Mon 13Z (before range), Wed 13Z.
#   r2 DAILY COUNT=3 from Mon 18Z -> Mon 18Z (before range), Tue 18Z, Wed 18Z.
#   TENTATIVE Tue 14Z (busy only with tentative_is_busy), TRANSPARENT Tue 15Z, CANCELLED Tue 16Z: free.
#   floating 11:00 + DURATION PT1H on Tue = 11:00 CST = [17Z, 18Z) -> Tue 17.
#   -> dana busy starts: Tue 17, Tue 18, Wed 13, Wed 18 (= 4), plus Tue 14 when tentative is busy (= 5).
# Meeting-hour starts: Tue 13 ok, 14 (tentative), 15 ok, 16 ok, 17 dana, 18 ravi+dana;
#   Wed 13..17 ravi, Wed 18 dana (ravi free: [18Z,19Z) starts at his block's end).
def test_c08a_ics_busy_tentative_not_busy() -> None:
    r = plan("c08a_ics_tentative_free", "2026-11-03T13:00:00Z")
    assert r["status"] == "ready"
    assert r["earliest_start"] == "2026-11-03T13:00:00Z"
    assert r["deadline"] == "2026-11-05T06:00:00Z"
    assert cand_set(r) == slots(grid("2026-11-03T13:00:00Z", "2026-11-03T16:00:00Z", 60), 60)
    assert near_set(r) == set()
    assert_violations(r, {"CUSTOMER_HOURS": 29, "ATTENDEE:fix_owner": 24, "ATTENDEE:escalation_manager": 4})
    assert r["causes"] == []


def test_c08b_ics_busy_tentative_is_busy() -> None:
    r = plan("c08b_ics_tentative_busy", "2026-11-03T13:00:00Z")
    assert r["status"] == "ready"
    assert r["deadline"] == "2026-11-05T06:00:00Z"
    assert cand_set(r) == slots(["2026-11-03T13:00:00Z", "2026-11-03T15:00:00Z", "2026-11-03T16:00:00Z"], 60)
    assert_violations(r, {"CUSTOMER_HOURS": 29, "ATTENDEE:fix_owner": 24, "ATTENDEE:escalation_manager": 5})
    assert r["causes"] == []


# --------------------------------------------------------------------------------------------------
# C09  interpreter roster
# --------------------------------------------------------------------------------------------------
def test_c09_interpreters() -> None:
    # T = London; approved Mon 11-02 -> deadline 2026-11-04T00:00Z; earliest = now = 11-03T08:00Z.
    # UTC hourly starts 08..23 = 16.  language es, customer id acme.
    #   pt1: language pt -> never.   es_other: approved_for [other-co] -> never.
    #   es_star ("*"): Madrid tue 10-12 CET = [09Z, 11Z) -> 09, 10; own calendar busy [09Z,10Z) -> 10 only.
    #   es_acme (acme): Bogota tue 06-08 = [11Z, 13Z) -> 11, 12.
    # Compliant: 10 (es_star), 11 (es_acme), 12 (es_acme).  INTERPRETER violations 16 - 3 = 13.
    r = plan("c09_interpreters", "2026-11-03T08:00:00Z")
    assert r["status"] == "ready"
    assert r["earliest_start"] == "2026-11-03T08:00:00Z"
    assert r["deadline"] == "2026-11-04T00:00:00Z"
    got = {(c["start"], c["end"], c["interpreter"]) for c in r["candidates"]}
    assert got == {
        ("2026-11-03T10:00:00Z", "2026-11-03T11:00:00Z", "es_star"),
        ("2026-11-03T11:00:00Z", "2026-11-03T12:00:00Z", "es_acme"),
        ("2026-11-03T12:00:00Z", "2026-11-03T13:00:00Z", "es_acme"),
    }
    assert near_set(r) == set()
    assert_violations(r, {"INTERPRETER": 13})
    assert r["causes"] == []


# --------------------------------------------------------------------------------------------------
# C10  not ready
# --------------------------------------------------------------------------------------------------
def test_c10a_not_ready_rca_null_unknown_and_missing_role_json() -> None:
    # RCA null -> RCA_NOT_APPROVED; fix_owner "ghost" is not in people; customer_success_director absent.
    r = plan("c10a_not_ready_rca_unknown_role", "2026-11-03T08:00:00Z")
    assert r["status"] == "not_ready"
    assert r["escalation_id"] == "ESC-C10A"
    assert set(r["not_ready"]) == {
        "RCA_NOT_APPROVED",
        "ROLE_UNASSIGNED:fix_owner",
        "ROLE_UNASSIGNED:customer_success_director",
    }
    assert r["candidates"] == []
    assert r["near_misses"] == []
    assert_violations(r, {})
    assert r["causes"] == []


def test_c10b_not_ready_role_null() -> None:
    r = plan("c10b_not_ready_role_null", "2026-11-03T08:00:00Z")
    assert r["status"] == "not_ready"
    assert r["not_ready"] == ["ROLE_UNASSIGNED:fix_owner"]
    assert r["candidates"] == []
    assert r["near_misses"] == []
    assert_violations(r, {})
    assert r["causes"] == []


# --------------------------------------------------------------------------------------------------
# C11  no coverage block -> UTC grid; needs_exception with empty causes; zero-length blackout
# --------------------------------------------------------------------------------------------------
def test_c11_no_coverage_utc_grid_empty_causes() -> None:
    # T = Asia/Kolkata; approved Mon 11-02 10:00 IST -> d1 = Tue 11-03; deadline Wed 00:00 IST
    # = 2026-11-03T18:30Z.  earliest = now = 2026-11-03T00:00Z.  UTC hourly starts 00..17Z = 18
    # (17Z ends 18Z <= 18:30Z; 18Z would end 19Z).
    # CUSTOMER_HOURS: tue 10-12 IST = [04:30Z, 06:30Z) -> only 05Z fits on the UTC grid -> 17.
    # ATTENDEE:customer_incident_manager (luis, London tue 09-11) -> 09, 10 ok -> 16.
    # CAB_BLACKOUT: [05:30Z,05:45Z) -> 05; [09Z,11Z) -> 09, 10 (08 ends at 09: free);
    #   [07Z,07Z) is zero-length and blocks nothing -> 3.
    # No slot breaks only one family -> no single relaxation helps -> causes [].
    r = plan("c11_no_coverage_utc_grid_empty_causes", "2026-11-03T00:00:00Z")
    assert r["status"] == "needs_exception"
    assert r["earliest_start"] == "2026-11-03T00:00:00Z"
    assert r["deadline"] == "2026-11-03T18:30:00Z"
    assert cand_set(r) == set()
    assert near_set(r) == set()
    assert_violations(r, {"CUSTOMER_HOURS": 17, "ATTENDEE:customer_incident_manager": 16, "CAB_BLACKOUT": 3})
    assert r["causes"] == []


# --------------------------------------------------------------------------------------------------
# C12  VFREEBUSY
# --------------------------------------------------------------------------------------------------
def test_c12_vfreebusy_periods() -> None:
    # London, deadline 2026-11-04T00:00Z, earliest 2026-11-03T08:00Z, hourly starts 08..23 = 16.
    # CUSTOMER_HOURS tue 09-18 -> 09..17 ok -> 7 violations (08, 18..23).
    # mei: BUSY [09Z,10Z) -> 09; BUSY-UNAVAILABLE 11Z/PT1H -> 11; BUSY-TENTATIVE 13Z (tentative not busy);
    #   FREE 15Z: nothing; [17:00Z,17:30Z) -> 17; [19Z,19Z) zero length: nothing.  -> 3.
    # Compliant: 10, 12, 13, 14, 15, 16.
    r = plan("c12_vfreebusy", "2026-11-03T08:00:00Z")
    assert r["status"] == "ready"
    assert r["deadline"] == "2026-11-04T00:00:00Z"
    assert cand_set(r) == slots([f"2026-11-03T{h:02d}:00:00Z" for h in (10, 12, 13, 14, 15, 16)], 60)
    assert_violations(r, {"CUSTOMER_HOURS": 7, "ATTENDEE:customer_success_director": 3})
    assert r["causes"] == []


# --------------------------------------------------------------------------------------------------
# C13  causes that nobody can waive (ATTENDEE:<role>, INTERPRETER)
# --------------------------------------------------------------------------------------------------
def test_c13_causes_unwaivable_json() -> None:
    # London, deadline 2026-11-04T00:00Z, earliest 08:00Z, starts 08..23 = 16.  language fr.
    # CUSTOMER_HOURS tue 10-12 -> 10, 11 ok -> 14.
    # fr1 (Paris, +01): tue 11:00-12:00 = [10Z, 11Z) -> only 10 -> INTERPRETER 15.
    # ravi busy [10Z, 11Z) -> ATTENDEE:fix_owner 1.
    # 10 breaks only ATTENDEE:fix_owner; 11 breaks only INTERPRETER -> causes {ATTENDEE:fix_owner, INTERPRETER}.
    r = plan("c13_causes_unwaivable", "2026-11-03T08:00:00Z")
    assert r["status"] == "needs_exception"
    assert cand_set(r) == set()
    assert near_set(r) == set()
    assert_violations(r, {"CUSTOMER_HOURS": 14, "INTERPRETER": 15, "ATTENDEE:fix_owner": 1})
    assert sorted(r["causes"]) == ["ATTENDEE:fix_owner", "INTERPRETER"]


# --------------------------------------------------------------------------------------------------
# C14  DST spring-forward gap (America/Chicago 2026-03-08 02:00 CST -> 03:00 CDT)
# --------------------------------------------------------------------------------------------------
def test_c14_dst_spring_forward_gap() -> None:
    # T = Chicago. approved Thu 03-05 -> d1 Fri 03-06, d2 Mon 03-09; deadline Tue 03-10 00:00 CDT
    # = 2026-03-10T05:00Z.  earliest = now = 2026-03-08T05:00Z (Sat 23:00 CST).  Grid 30 min in
    # Chicago = every :00/:30 UTC.  duration 30 -> starts 03-08T05:00Z .. 03-10T04:30Z = 95 steps + 1 = 96.
    # Coverage sun 02:30-04:00: 02:30 is in the gap -> offset before the gap (CST) -> 08:30Z;
    #   04:00 CDT = 09:00Z -> [08:30Z, 09:00Z) -> one slot 08:30Z.
    #   (Shifting 02:30 forward as CDT would give [07:30Z, 09:00Z), three slots.)
    # Coverage mon 09:00-10:00 CDT = [14:00Z, 15:00Z) -> 14:00Z, 14:30Z.
    # COVERAGE violations 96 - 3 = 93, all near misses.
    r = plan("c14_dst_spring_forward_gap", "2026-03-08T05:00:00Z")
    compliant = ["2026-03-08T08:30:00Z", "2026-03-09T14:00:00Z", "2026-03-09T14:30:00Z"]
    everything = grid("2026-03-08T05:00:00Z", "2026-03-10T04:30:00Z", 30)
    assert len(everything) == 96
    assert r["status"] == "ready"
    assert r["deadline"] == "2026-03-10T05:00:00Z"
    assert cand_set(r) == slots(compliant, 30)
    others = slots(everything, 30) - slots(compliant, 30)
    assert near_set(r) == {(s, e, ("COVERAGE",)) for s, e in others}
    assert_violations(r, {"COVERAGE": 93})


# --------------------------------------------------------------------------------------------------
# C15  RECURRENCE-ID overrides and RDATE
# --------------------------------------------------------------------------------------------------
def test_c15_ics_recurrence_overrides_and_rdate() -> None:
    # London; approved Mon 11-02 -> Tue, Wed, Thu -> deadline Fri 2026-11-06T00:00Z.  earliest 11-03T09:00Z.
    # Starts Tue 09..23 (15) + Wed (24) + Thu (24) = 63; meeting 09-17 -> 09..16 x 3 days = 24 -> 39 violations.
    # dana series DAILY COUNT=3 at 10Z (Tue, Wed, Thu) + RDATE Tue 16Z (1 h like the master):
    #   Wed 10Z moved to Wed 14Z; Thu 10Z overridden as CANCELLED.  Busy: Tue 10, Tue 16, Wed 14 -> 3.
    # Compliant: 24 - 3 = 21.
    r = plan("c15_ics_overrides_rdate", "2026-11-03T09:00:00Z")
    busy = {"2026-11-03T10:00:00Z", "2026-11-03T16:00:00Z", "2026-11-04T14:00:00Z"}
    meeting = [f"2026-11-{d:02d}T{h:02d}:00:00Z" for d in (3, 4, 5) for h in range(9, 17)]
    assert r["status"] == "ready"
    assert r["deadline"] == "2026-11-06T00:00:00Z"
    assert cand_set(r) == slots([s for s in meeting if s not in busy], 60)
    assert len(r["candidates"]) == 21
    assert_violations(r, {"CUSTOMER_HOURS": 39, "ATTENDEE:escalation_manager": 3})


# --------------------------------------------------------------------------------------------------
# C16  meeting hours past midnight next to a customer holiday; weekly blackouts past midnight / own zone
# --------------------------------------------------------------------------------------------------
def test_c16_midnight_meeting_hours_holiday_weekly_cab() -> None:
    # London; H = {Wed 11-04}.  approved Mon 11-02 -> d1 Tue, (Wed holiday), d2 Thu -> deadline
    # Fri 2026-11-06T00:00Z.  earliest 11-03T12:00Z.  Starts Tue 12..23 (12) + Wed 24 + Thu 24 = 60.
    # Meeting mon-fri 22:00-02:00; a window belongs to the date it starts on:
    #   Tue 22 -> Wed 02 kept (Tue is not a holiday): Tue 22, Tue 23, Wed 00, Wed 01;
    #   Wed's window removed (holiday); Thu 22 -> Fri 02: Thu 22, Thu 23.  6 ok -> 54 violations.
    # CAB weekly tue 23:30-00:30 -> [Tue 23:30, Wed 00:30): Tue 23, Wed 00;
    #   weekly thu 17:00-18:00 America/New_York = [Thu 22Z, 23Z): Thu 22.  -> 3.
    # Compliant: Tue 22, Wed 01, Thu 23.
    r = plan("c16_midnight_meeting_hours_holiday_weekly_cab", "2026-11-03T12:00:00Z")
    assert r["status"] == "ready"
    assert r["deadline"] == "2026-11-06T00:00:00Z"
    assert cand_set(r) == slots(["2026-11-03T22:00:00Z", "2026-11-04T01:00:00Z", "2026-11-05T23:00:00Z"], 60)
    assert_violations(r, {"CUSTOMER_HOURS": 54, "CAB_BLACKOUT": 3})
    assert r["causes"] == []


# --------------------------------------------------------------------------------------------------
# C17  adjacent availability / meeting-hours windows across midnight
# --------------------------------------------------------------------------------------------------
def test_c17_adjacent_availability_and_meeting_windows_join() -> None:
    # London; approved Mon 11-02, N=2 -> deadline Thu 2026-11-05T00:00Z.  earliest Tue 20:00Z.
    # duration 120: starts Tue 20..23 (4) + Wed 00..22 (23) = 27.
    # Meeting [Tue 21:00, Wed 03:00) -> Tue 21, 22, 23, Wed 00, 01 ok -> 22 violations.
    # luis [Tue 22:00, Wed 01:00) -> Tue 22, Tue 23 ok -> 25 violations.
    # (Spec: "S lies inside" the availability / meeting hours, read as the set of time they describe.)
    r = plan("c17_adjacent_availability_join", "2026-11-03T20:00:00Z")
    assert r["status"] == "ready"
    assert r["deadline"] == "2026-11-05T00:00:00Z"
    assert cand_set(r) == slots(["2026-11-03T22:00:00Z", "2026-11-03T23:00:00Z"], 120)
    assert_violations(r, {"CUSTOMER_HOURS": 22, "ATTENDEE:customer_incident_manager": 25})


# --------------------------------------------------------------------------------------------------
# C18  min notice pushes earliest past the deadline
# --------------------------------------------------------------------------------------------------
def test_c18_notice_past_deadline_empty_causes() -> None:
    # deadline 2026-11-04T00:00Z; earliest = max(11-03T20:00Z, 11-02T09:00Z) + 24 h = 11-04T20:00Z.
    # No candidate starts -> no compliant slot -> needs_exception; nothing to relax -> causes [].
    r = plan("c18_notice_past_deadline", "2026-11-03T20:00:00Z")
    assert r["status"] == "needs_exception"
    assert r["earliest_start"] == "2026-11-04T20:00:00Z"
    assert r["deadline"] == "2026-11-04T00:00:00Z"
    assert r["candidates"] == []
    assert r["near_misses"] == []
    assert_violations(r, {})
    assert r["causes"] == []


# --------------------------------------------------------------------------------------------------
# C19  grid anchored at local midnight of Asia/Kathmandu (+05:45)
# --------------------------------------------------------------------------------------------------
def test_c19_kathmandu_grid_and_daily_join() -> None:
    # deadline 2026-11-04T00:00Z; earliest 11-03T16:00Z.  Whole Kathmandu hours = :15 UTC.
    # duration 90: s + 90 min <= 24:00Z -> s <= 22:30Z -> 16:15, 17:15, ..., 22:15 = 7 starts.
    # daily 00:00-24:00 windows join; 17:15Z-18:45Z crosses Kathmandu midnight (18:15Z) and still complies.
    r = plan("c19_kathmandu_grid", "2026-11-03T16:00:00Z")
    assert r["status"] == "ready"
    assert r["earliest_start"] == "2026-11-03T16:00:00Z"
    assert cand_set(r) == slots(grid("2026-11-03T16:15:00Z", "2026-11-03T22:15:00Z", 60), 90)
    assert_violations(r, {})


# --------------------------------------------------------------------------------------------------
# C20  business-day zone overridden, holidays null -> the customer's holidays
# --------------------------------------------------------------------------------------------------
def test_c20_business_day_zone_override_with_customer_holidays() -> None:
    # T = Asia/Tokyo, H = US (customer's).  approved 2026-11-06T20:00-05:00 = 11-07T01:00Z
    # = Sat 11-07 10:00 JST -> a = Sat.  d1 Mon 11-09, d2 Tue 11-10, Wed 11-11 Veterans Day (US),
    # d3 Thu 11-12.  deadline Fri 11-13 00:00 JST = 2026-11-12T15:00Z.
    # (NY zone: 11-13T05:00Z; JP holidays: 11-11T15:00Z.)  now 12:00Z -> starts 12, 13, 14.
    r = plan("c20_bizdays_zone_override_customer_holidays", "2026-11-12T12:00:00Z")
    assert r["status"] == "ready"
    assert r["deadline"] == "2026-11-12T15:00:00Z"
    assert cand_set(r) == slots(grid("2026-11-12T12:00:00Z", "2026-11-12T14:00:00Z", 60), 60)


# --------------------------------------------------------------------------------------------------
# C21  subdivision holiday (holidays package DE, subdiv SN)
# --------------------------------------------------------------------------------------------------
def test_c21_holiday_subdivision() -> None:
    # T = Europe/Berlin, H = DE-SN.  a = Tue 11-17; Wed 11-18 Buss- und Bettag (SN only) -> d1 = Thu 11-19.
    # deadline Fri 11-20 00:00 CET = 2026-11-19T23:00Z.  now 20:00Z -> starts 20, 21, 22.
    r = plan("c21_holiday_subdiv", "2026-11-19T20:00:00Z")
    assert r["status"] == "ready"
    assert r["deadline"] == "2026-11-19T23:00:00Z"
    assert cand_set(r) == slots(grid("2026-11-19T20:00:00Z", "2026-11-19T22:00:00Z", 60), 60)


# --------------------------------------------------------------------------------------------------
# C22  all-day DATE event on the fall-back day = the whole 25-hour local day
# --------------------------------------------------------------------------------------------------
def test_c22_all_day_event_on_dst_day() -> None:
    # deadline 2026-11-03T06:00Z (as C05); earliest 11-01T04:00Z; no coverage -> UTC grid, 30 min.
    # Starts 11-01T04:00Z .. 11-03T05:00Z = 99.
    # dana all-day 2026-11-01 (Chicago) = [11-01T05:00Z (00:00 CDT), 11-02T06:00Z (00:00 CST)) = 25 h.
    # Busy starts: 11-01T04:30Z .. 11-02T05:30Z = 50 steps + 1 = 51.  Compliant 99 - 51 = 48.
    r = plan("c22_all_day_dst_day", "2026-11-01T04:00:00Z")
    compliant = [z("2026-11-01T04:00:00Z"), *grid("2026-11-02T06:00:00Z", "2026-11-03T05:00:00Z", 30)]
    assert len(compliant) == 48
    assert r["status"] == "ready"
    assert r["deadline"] == "2026-11-03T06:00:00Z"
    assert cand_set(r) == slots(compliant, 60)
    assert_violations(r, {"ATTENDEE:escalation_manager": 51})


# --------------------------------------------------------------------------------------------------
# C23  interpreter calendar: floating and DATE values in the interpreter's zone
# --------------------------------------------------------------------------------------------------
def test_c23_interpreter_calendar_in_interpreter_zone() -> None:
    # London; deadline 11-04T00:00Z; earliest 11-03T08:00Z; starts 08..23 = 16; language es.
    # es1 (Tokyo +09): tue 17:00-24:00 JST = [08Z, 15Z) joins wed 00:00-02:00 JST = [15Z, 17Z) -> 08..16.
    #   floating 20:00 (Tokyo) = [11Z, 12Z) -> 11 out; all-day Wed 11-04 JST = [11-03T15Z, 11-04T15Z)
    #   -> 15, 16 out.  es1: 08, 09, 10, 12, 13, 14.
    # es2 (London) tue 16-17 -> 16.   INTERPRETER ok 7 -> violations 9.
    r = plan("c23_interpreter_calendar_zone", "2026-11-03T08:00:00Z")
    got = {(c["start"], c["interpreter"]) for c in r["candidates"]}
    assert r["status"] == "ready"
    assert got == {
        *((f"2026-11-03T{h:02d}:00:00Z", "es1") for h in (8, 9, 10, 12, 13, 14)),
        ("2026-11-03T16:00:00Z", "es2"),
    }
    assert_violations(r, {"INTERPRETER": 9})


# --------------------------------------------------------------------------------------------------
# C24  near miss names its interpreter
# --------------------------------------------------------------------------------------------------
def test_c24_near_miss_names_interpreter() -> None:
    # London; deadline 11-04T00:00Z; earliest 20:00Z -> starts 20, 21, 22, 23.
    # COVERAGE tue 23-24 -> only 23 ok (3 violations); i1 tue 21-22 -> only 21 ok (3 violations).
    # 21 breaks only COVERAGE -> near miss with interpreter i1; 23 breaks only INTERPRETER.
    # causes {COVERAGE, INTERPRETER}.
    r = plan("c24_near_miss_interpreter", "2026-11-03T20:00:00Z")
    assert r["status"] == "needs_exception"
    assert r["candidates"] == []
    assert [(n["start"], n["end"], n["waivers"], n["interpreter"]) for n in r["near_misses"]] == [
        ("2026-11-03T21:00:00Z", "2026-11-03T22:00:00Z", ["COVERAGE"], "i1")
    ]
    assert_violations(r, {"COVERAGE": 3, "INTERPRETER": 3})
    assert sorted(r["causes"]) == ["COVERAGE", "INTERPRETER"]


# --------------------------------------------------------------------------------------------------
# C25  holds placed for this escalation are not busy time
# --------------------------------------------------------------------------------------------------
def test_c25_own_hold_is_not_busy() -> None:
    # starts 20..23; dana: hold for ESC-C25 at 20Z (ignored), hold for ESC-OTHER at 21Z (busy).
    r = plan("c25_holds", "2026-11-03T20:00:00Z")
    assert cand_set(r) == slots(["2026-11-03T20:00:00Z", "2026-11-03T22:00:00Z", "2026-11-03T23:00:00Z"], 60)
    assert_violations(r, {"ATTENDEE:escalation_manager": 1})


# --------------------------------------------------------------------------------------------------
# C26  `country: NO` in YAML is Norway
# --------------------------------------------------------------------------------------------------
def test_c26_yaml_country_no_is_norway() -> None:
    # T = Europe/Oslo, H = NO.  a = Thu 12-24; Fri 12-25 and Sat 12-26 are holidays, Sun -> d1 = Mon 12-28.
    # deadline Tue 12-29 00:00 CET = 2026-12-28T23:00Z.  (No holidays would give 2026-12-25T23:00Z.)
    r = plan("c26_yaml_country_no", "2026-12-28T20:00:00Z")
    assert r["deadline"] == "2026-12-28T23:00:00Z"
    assert cand_set(r) == slots(grid("2026-12-28T20:00:00Z", "2026-12-28T22:00:00Z", 60), 60)


# --------------------------------------------------------------------------------------------------
# C01 again, without --now: the file's `now` is used
# --------------------------------------------------------------------------------------------------
def test_c01_file_now_used_without_cli_now() -> None:
    # now (file) 2026-11-20T00:00Z < approved 2026-11-25T15:00Z -> earliest 11-25T18:00Z; deadline 12-01T05:00Z.
    # Starts 11-25 18..23 (6) + 11-26..11-30 (120) + 12-01 00..04 (5) = 131.
    # Meeting 14Z-22Z on non-holiday weekdays: Wed 11-25 18..21 (4), Thu 26 / Fri 27 holidays, Mon 30 14..21 (8)
    # -> 12 compliant, 119 violations.
    path = CASES / "c01_bizdays_weekend_holiday" / "case.yaml"
    proc = subprocess.run(
        [str(CLI), "plan", str(path), "--json", "--all"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    assert r["earliest_start"] == "2026-11-25T18:00:00Z"
    assert r["deadline"] == "2026-12-01T05:00:00Z"
    expected = [*grid("2026-11-25T18:00:00Z", "2026-11-25T21:00:00Z", 60)]
    expected += grid("2026-11-30T14:00:00Z", "2026-11-30T21:00:00Z", 60)
    assert cand_set(r) == slots(expected, 60)
    assert_violations(r, {"CUSTOMER_HOURS": 119})


# --------------------------------------------------------------------------------------------------
# C29  business days across the year boundary
# --------------------------------------------------------------------------------------------------
def test_c29_year_boundary_holiday() -> None:
    # T = America/New_York, H = US.  a = Wed 2026-12-30; d1 Thu 12-31; Fri 2027-01-01 New Year's Day;
    # d2 Mon 01-04; d3 Tue 01-05 -> deadline Wed 2027-01-06 00:00 EST = 2027-01-06T05:00Z.
    # (Holidays loaded for 2026 only would give d3 = Mon 01-04 and 2027-01-05T05:00Z.)
    r = plan("c29_year_boundary_holiday", "2027-01-06T02:00:00Z")
    assert r["deadline"] == "2027-01-06T05:00:00Z"
    assert cand_set(r) == slots(grid("2027-01-06T02:00:00Z", "2027-01-06T04:00:00Z", 60), 60)


# --------------------------------------------------------------------------------------------------
# C30  interpreter languages: BCP 47 tags, RFC 4647 basic filtering, case-insensitive (spec section 4)
# --------------------------------------------------------------------------------------------------
# London; approved Mon 11-02 -> d1 Tue 11-03; deadline 2026-11-04T00:00Z; earliest = now = 11-03T08:00Z.
# UTC hourly starts 08..23 = 16.  Roster (all London, all approved for acme):
#   pt_bare [pt] tue 08-10 -> 08, 09;  pt_pt [pt-PT] tue 10-12 -> 10, 11;
#   pt_br [PT-br] tue 12-14 -> 12, 13;  en_pt_br [en, pt-br] tue 14-15 -> 14.
def test_c30a_language_region_is_served_only_by_that_region() -> None:
    # Requested pt-BR: neither pt (broader) nor pt-PT (other region) serves it; PT-br and pt-br do
    # (case-insensitive).  Compliant 12, 13 (pt_br), 14 (en_pt_br); INTERPRETER 16 - 3 = 13.
    r = plan("c30a_language_tag_region", "2026-11-03T08:00:00Z")
    got = {(c["start"], c["interpreter"]) for c in r["candidates"]}
    assert r["status"] == "ready"
    assert got == {
        ("2026-11-03T12:00:00Z", "pt_br"),
        ("2026-11-03T13:00:00Z", "pt_br"),
        ("2026-11-03T14:00:00Z", "en_pt_br"),
    }
    assert_violations(r, {"INTERPRETER": 13})


def test_c30b_bare_language_is_served_by_every_region() -> None:
    # Requested pt: pt, pt-PT, PT-br and pt-br all start with "pt" then "-" or end -> 08..14 (7 starts);
    # INTERPRETER 16 - 7 = 9.
    r = plan("c30b_language_tag_bare", "2026-11-03T08:00:00Z")
    got = {(c["start"], c["interpreter"]) for c in r["candidates"]}
    assert r["status"] == "ready"
    assert got == {
        ("2026-11-03T08:00:00Z", "pt_bare"),
        ("2026-11-03T09:00:00Z", "pt_bare"),
        ("2026-11-03T10:00:00Z", "pt_pt"),
        ("2026-11-03T11:00:00Z", "pt_pt"),
        ("2026-11-03T12:00:00Z", "pt_br"),
        ("2026-11-03T13:00:00Z", "pt_br"),
        ("2026-11-03T14:00:00Z", "en_pt_br"),
    }
    assert_violations(r, {"INTERPRETER": 9})


# --------------------------------------------------------------------------------------------------
# C31  a floating DTSTART/DTEND beside a zoned (TZID or Z) other one is read in the owner's zone
# --------------------------------------------------------------------------------------------------
def test_c31_floating_end_beside_zoned_start_is_in_the_owners_zone() -> None:
    # London; approved Mon 11-02 -> d1 Tue 11-03; deadline 2026-11-04T00:00Z; earliest = now = 11-03T08:00Z.
    # UTC hourly starts 08..23 = 16.  dana (America/Chicago, CST -06):
    #   a: DTSTART London 10:00 (GMT) = 10Z, floating DTEND 06:00 -> 06:00 CST = 12Z -> 10, 11 busy.
    #      (Read in London, the DTEND would be 06Z, before the start: not what the file says.)
    #   b: DTSTART 15:00Z, floating DTEND 10:00 -> 16Z -> 15.  (As UTC: 10Z, before the start.)
    #   c: floating DTSTART 12:00 -> 18Z, DTEND Tokyo 11-04 04:00 JST = 11-03T19Z -> 18.
    # ATTENDEE:escalation_manager 4; compliant 16 - 4 = 12.
    r = plan("c31_floating_end_beside_zoned_start", "2026-11-03T08:00:00Z")
    busy = {z(f"2026-11-03T{h:02d}:00:00Z") for h in (10, 11, 15, 18)}
    assert r["status"] == "ready"
    assert r["deadline"] == "2026-11-04T00:00:00Z"
    free = [t for t in grid("2026-11-03T08:00:00Z", "2026-11-03T23:00:00Z", 60) if t not in busy]
    assert cand_set(r) == slots(free, 60)
    assert_violations(r, {"ATTENDEE:escalation_manager": 4})


# --------------------------------------------------------------------------------------------------
# C32  DURATION: weeks and days nominal, hours, minutes and seconds exact (RFC 5545 3.3.6), across DST
# --------------------------------------------------------------------------------------------------
def test_c32_duration_nominal_days_exact_hours_across_fall_back() -> None:
    # T = America/Chicago (no holidays).  approved Fri 2026-10-30 -> d1 Mon 11-02; deadline Tue 11-03
    # 00:00 CST = 2026-11-03T06:00Z.  earliest = now = 2026-11-01T15:00Z.  No coverage -> UTC hourly grid:
    # starts 11-01T15Z .. 11-03T05Z = 9 + 24 + 6 = 39.
    # Every role holder (all Chicago) has one event from Sat 10-31 12:00 CDT = 17:00Z; 11-01 is the
    # fall-back day (CDT -05 -> CST -06), so one local day from 12:00 CDT ends 12:00 CST = 11-01T18Z (25 h).
    #   dana PT24H: exactly 24 h -> 11-01T17Z -> starts 15, 16 busy (2).
    #   ravi P1D: one local day -> 18Z -> 15, 16, 17 (3).
    #   mei PT26H: exactly 26 h -> 19Z -> 15..18 (4).
    #   luis P1DT2H: one local day (18Z) then 2 exact hours -> 20Z -> 15..19 (5).
    # Compliant: 11-01T20Z .. 11-03T05Z = 34.
    r = plan("c32_duration_nominal_days_exact_hours", "2026-11-01T15:00:00Z")
    assert r["status"] == "ready"
    assert r["earliest_start"] == "2026-11-01T15:00:00Z"
    assert r["deadline"] == "2026-11-03T06:00:00Z"
    compliant = grid("2026-11-01T20:00:00Z", "2026-11-03T05:00:00Z", 60)
    assert len(compliant) == 34
    assert cand_set(r) == slots(compliant, 60)
    assert_violations(
        r,
        {
            "ATTENDEE:escalation_manager": 2,
            "ATTENDEE:fix_owner": 3,
            "ATTENDEE:customer_success_director": 4,
            "ATTENDEE:customer_incident_manager": 5,
        },
    )


# --------------------------------------------------------------------------------------------------
# C33  grid read on the wall clock on a day whose offset shifts by 30 minutes (Australia/Lord_Howe)
# --------------------------------------------------------------------------------------------------
def test_c33_lord_howe_half_hour_shift_grid_is_wall_clock_hours() -> None:
    # T = Australia/Lord_Howe (no holidays).  approved Thu 2026-10-01 -> d1 Fri 10-02, d2 Mon 10-05;
    # deadline Tue 10-06 00:00 (+11:00) = 2026-10-05T13:00Z.  earliest = now = 2026-10-03T14:00Z
    # (Sun 10-04 00:30 +10:30).  Coverage Lord Howe daily 00-24 (joined): every start is covered.
    # Sun 10-04 02:00 (+10:30) jumps to 02:30 (+11:00).  Hourly wall-clock starts: 01:00 +10:30 = 14:30Z;
    # 02:00 does not exist (no start); 03:00 +11:00 = 16:00Z, then every hour to Mon 23:00 = 10-05T12:00Z
    # (ends at the deadline) -> 1 + 45 = 46.  (Counting 60 elapsed minutes from midnight would give 02:30 and
    # 03:30 on the wall, 15:00Z and 16:30Z.)
    r = plan("c33_lord_howe_half_hour_dst_grid", "2026-10-03T14:00:00Z")
    starts = [z("2026-10-03T14:30:00Z"), *grid("2026-10-03T16:00:00Z", "2026-10-05T12:00:00Z", 60)]
    assert len(starts) == 46
    assert r["status"] == "ready"
    assert r["earliest_start"] == "2026-10-03T14:00:00Z"
    assert r["deadline"] == "2026-10-05T13:00:00Z"
    assert cand_set(r) == slots(starts, 60)
    assert_violations(r, {})


# --------------------------------------------------------------------------------------------------
# Disagreements with the spec
# --------------------------------------------------------------------------------------------------
def test_c27_nested_vcalendar_is_not_silently_free() -> None:
    path = CASES / "c27_nested_vcalendar" / "case.yaml"
    proc = run_plan(path, "2026-11-03T20:00:00Z")
    if proc.returncode == 2:
        assert "dana.ics" in proc.stderr
        return
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    # Either refuse the file or count the event: dana busy [20Z, 21Z) -> 21, 22, 23 only.
    assert cand_set(r) == slots(grid("2026-11-03T21:00:00Z", "2026-11-03T23:00:00Z", 60), 60)


def test_c28_failing_remote_calendar_makes_person_unknown() -> None:
    # starts 20..23Z; dana unknown -> ATTENDEE:escalation_manager breaks all 4; relaxing it alone helps.
    path = CASES / "c28_remote_calendar" / "case.yaml"
    proc = run_plan(path, "2026-11-03T20:00:00Z")
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    assert r["status"] == "needs_exception"
    assert r["candidates"] == []
    assert_violations(r, {"ATTENDEE:escalation_manager": 4})
    assert r["causes"] == ["ATTENDEE:escalation_manager"]
    assert "dana" in proc.stdout


# --------------------------------------------------------------------------------------------------
# Bad input: never a traceback; exit 2 for an invalid case file (spec 6)
# --------------------------------------------------------------------------------------------------
BASE_CASE = """\
version: 1
escalation:
  id: ESC-BAD
  summary: bad input
  customer_safe_rca_approved_at: 2026-11-02T09:00:00Z
  readout: {due_business_days: 1, duration_minutes: 60, min_notice_hours: 0, modality: video}
customer: {id: bad-corp, name: Bad Corp, timezone: Europe/London}
people:
  dana: {name: Dana, email: dana@p.example, timezone: Europe/London}
  ravi: {name: Ravi, email: ravi@p.example, timezone: Europe/London}
  mei: {name: Mei, email: mei@p.example, timezone: Europe/London}
  luis: {name: Luis, email: luis@p.example, timezone: Europe/London}
roles: {escalation_manager: dana, fix_owner: ravi, customer_success_director: mei, customer_incident_manager: luis}
policy: {granularity_minutes: 60, tentative_is_busy: true}
"""
DANA = "dana: {name: Dana, email: dana@p.example, timezone: Europe/London}"
ICS_HEAD = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\n"


def with_dana_calendar(path: str) -> str:
    return BASE_CASE.replace(DANA, DANA[:-1] + f", calendar: '{path}'}}")


BAD_INPUTS: dict[str, tuple[bytes, dict[str, bytes | None]]] = {
    "calendar path is a directory": (with_dana_calendar("cal").encode(), {"cal": None}),
    "calendar missing": (with_dana_calendar("nope.ics").encode(), {}),
    "empty .ics": (with_dana_calendar("d.ics").encode(), {"d.ics": b""}),
    "binary .ics": (with_dana_calendar("d.ics").encode(), {"d.ics": b"\x00\xff\xfe\x89PNG\r\n"}),
    "utf-16 .ics": (
        with_dana_calendar("d.ics").encode(),
        {"d.ics": (ICS_HEAD + "END:VCALENDAR\n").encode("utf-16")},
    ),
    ".ics never closed": (with_dana_calendar("d.ics").encode(), {"d.ics": b"BEGIN:VCALENDAR\n"}),
    ".ics year 0001": (
        with_dana_calendar("d.ics").encode(),
        {
            "d.ics": (
                ICS_HEAD + "BEGIN:VEVENT\nUID:1\nDTSTAMP:20261101T000000Z\nDTSTART:00010101T000000Z\n"
                "DTEND:99991231T235959Z\nEND:VEVENT\nEND:VCALENDAR\n"
            ).encode()
        },
    ),
    ".ics all-day 9999-12-31": (
        with_dana_calendar("d.ics").encode(),
        {
            "d.ics": (
                ICS_HEAD + "BEGIN:VEVENT\nUID:1\nDTSTAMP:20261101T000000Z\nDTSTART;VALUE=DATE:99991231\n"
                "END:VEVENT\nEND:VCALENDAR\n"
            ).encode()
        },
    ),
    ".ics unknown TZID": (
        with_dana_calendar("d.ics").encode(),
        {
            "d.ics": (
                ICS_HEAD + "BEGIN:VEVENT\nUID:1\nDTSTAMP:20261101T000000Z\n"
                "DTSTART;TZID=Europe/Lönd😀n:20261103T200000\nDURATION:PT1H\nEND:VEVENT\nEND:VCALENDAR\n"
            ).encode()
        },
    ),
    "empty case file": (b"", {}),
    "YAML list at top": (b"- a\n- b\n", {}),
    "tab indentation": (BASE_CASE.replace("  summary", "\tsummary").encode(), {}),
    "latin-1 bytes": (BASE_CASE.replace("name: Dana", "name: Dan\xe9").encode("latin-1"), {}),
    "python tag": (
        BASE_CASE.replace("summary: bad input", "summary: !!python/object/apply:os.getcwd []").encode(),
        {},
    ),
    "deep nesting": (BASE_CASE.encode() + b"x: " + b"[" * 100000 + b"]" * 100000 + b"\n", {}),
    "timestamp without offset": (BASE_CASE.replace("09:00:00Z", "09:00:00").encode(), {}),
    "typo in key": (BASE_CASE.replace("tentative_is_busy", "tentative_is_bsy").encode(), {}),
    "unknown zone": (
        BASE_CASE.replace("Bad Corp, timezone: Europe/London", "Bad Corp, timezone: Europe/Lndon").encode(),
        {},
    ),
    "en dash in day range": (
        BASE_CASE.replace(
            "Bad Corp, timezone: Europe/London",
            "Bad Corp, timezone: Europe/London, meeting_hours: {mon–fri: '09:00-17:00'}",
        ).encode(),
        {},
    ),
    "day range against week order": (
        BASE_CASE.replace(
            "Bad Corp, timezone: Europe/London",
            "Bad Corp, timezone: Europe/London, meeting_hours: {fri-mon: '09:00-17:00'}",
        ).encode(),
        {},
    ),
    "window 25:00": (
        BASE_CASE.replace(
            "Bad Corp, timezone: Europe/London",
            "Bad Corp, timezone: Europe/London, meeting_hours: {daily: '25:00-26:00'}",
        ).encode(),
        {},
    ),
    "huge number": (
        BASE_CASE.replace("due_business_days: 1", "due_business_days: 100000000000000000000000").encode(),
        {},
    ),
    "huge granularity": (
        BASE_CASE.replace("granularity_minutes: 60", "granularity_minutes: 1" + "0" * 5000).encode(),
        {},
    ),
    "NaN notice": (BASE_CASE.replace("min_notice_hours: 0", "min_notice_hours: .nan").encode(), {}),
    "year 9999 approval": (BASE_CASE.replace("2026-11-02T09:00:00Z", "9999-12-31T23:59:59Z").encode(), {}),
    "granularity 7": (BASE_CASE.replace("granularity_minutes: 60", "granularity_minutes: 7").encode(), {}),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_exits_2_without_traceback(name: str, tmp_path: Path) -> None:
    text, files = BAD_INPUTS[name]
    for rel, content in files.items():
        if content is None:
            (tmp_path / rel).mkdir()
        else:
            (tmp_path / rel).write_bytes(content)
    case = tmp_path / "case.yaml"
    case.write_bytes(text)
    proc = run_plan(case, "2026-11-03T20:00:00Z")
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 2, proc.stdout[:500]
    assert "case.yaml" in proc.stderr


@pytest.mark.parametrize(("notice", "now"), [(0, "9999-12-31T23:59:59Z"), (8760, "9999-06-01T00:00:00Z")])
def test_now_near_year_9999_is_a_clean_error(notice: int, now: str, tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    case.write_text(BASE_CASE.replace("min_notice_hours: 0", f"min_notice_hours: {notice}"))
    proc = run_plan(case, now)
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 2


def test_closed_stdout_pipe_no_traceback() -> None:
    path = CASES / "c05_dst_chicago_fallback" / "case.yaml"
    proc = subprocess.Popen(
        [str(CLI), "plan", str(path), "--json", "--all", "--now", "2026-11-01T04:00:00Z"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    proc.stdout.close()  # the reader is gone before the CLI writes anything
    _, err = proc.communicate(timeout=120)
    assert "Traceback" not in err
