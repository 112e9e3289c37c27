"""`readout plan` as a user runs it: the examples, the JSON contract, and bad input (exit 2, no traceback)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from readout.entrypoints.cli import main

ROOT = Path(__file__).resolve().parents[2]
GLOBEX = ROOT / "examples" / "globex-sso-outage" / "case.yaml"
FREEZE = ROOT / "examples" / "cab-freeze-no-slot" / "case.yaml"
VALID = ROOT / "tests" / "cases" / "valid-full.yaml"
READOUT = Path(sys.executable).parent / "readout"


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main(["plan", *args, "--json"]) == 0
    result: dict[str, Any] = json.loads(capsys.readouterr().out)
    return result


def test_globex_example_is_ready_with_the_holiday_moved_deadline(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_json(capsys, str(GLOBEX), "--all")
    assert result["status"] == "ready"
    # Approved Wed 11 Nov; Mon 16 Nov (Revolution Day) is skipped: end of Thu 19 Nov in Mexico City.
    assert result["deadline"] == "2026-11-20T06:00:00Z"
    assert result["earliest_start"] == "2026-11-13T15:00:00Z"  # now 12 Nov 09:00 CST + 24h notice
    starts = [c["start"] for c in result["candidates"]]
    assert sorted(starts) == [
        "2026-11-17T17:30:00Z",
        "2026-11-17T17:45:00Z",
        "2026-11-17T18:00:00Z",
        "2026-11-19T16:30:00Z",
    ]
    assert {c["interpreter"] for c in result["candidates"]} == {"ana"}  # pablo is not approved for Globex
    assert result["causes"] == []
    assert all(n["waivers"] == ["HANDOFF_WINDOW"] for n in result["near_misses"])
    assert {"id": "luis", "role": "customer_incident_manager"} in result["unverified"]


def test_freeze_example_needs_an_exception_and_says_why(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_json(capsys, str(FREEZE), "--all")
    assert result["status"] == "needs_exception"
    assert result["candidates"] == []
    assert set(result["causes"]) == {"COVERAGE", "CAB_BLACKOUT"}
    assert result["near_misses"]
    assert all(set(n["waivers"]) <= {"COVERAGE", "HANDOFF_WINDOW"} for n in result["near_misses"])
    assert result["violations"]["CAB_BLACKOUT"] > 0


def test_limit_and_all(capsys: pytest.CaptureFixture[str]) -> None:
    assert len(run_json(capsys, str(GLOBEX), "--limit", "2")["candidates"]) == 2
    everything = run_json(capsys, str(GLOBEX), "--all")
    assert len(everything["candidates"]) == everything["compliant_count"]
    assert len(everything["near_misses"]) == everything["near_miss_count"]


def test_now_flag_overrides_the_file(capsys: pytest.CaptureFixture[str]) -> None:
    late = run_json(capsys, str(GLOBEX), "--now", "2026-11-19T12:00:00-06:00")
    assert late["earliest_start"] == "2026-11-20T18:00:00Z"
    assert late["status"] == "needs_exception"
    assert late["causes"] == []  # past the deadline: no relaxation helps, leadership decides


def test_terminal_report_shows_deadline_local_times_and_no_private_details(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["plan", str(GLOBEX)]) == 0
    out = " ".join(capsys.readouterr().out.split())  # the report wraps to the terminal width
    assert "ready" in out
    # the deadline as people say it: the end of the last business day in the contract zone, UTC second
    assert "Deadline: end of Thu 19 Nov (Mexico City) = Fri 20 Nov 06:00 UTC" in out
    assert (
        "Planned as of: Thu 12 Nov 09:00 Mexico City (15:00 UTC), from the case file's now:, not the clock"
        in out
    )
    assert "Ravi Kumar" in out
    assert "IST" in out  # the fix owner's local time is shown
    assert "Holidays not counted as business days: Mon 16 Nov" in out
    for secret in ("SSO token validation", "performance reviews", "core ledger patch", "QBR prep"):
        assert secret not in out


def test_freeze_report_names_causes_and_who_may_waive(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(FREEZE)]) == 0
    out = " ".join(capsys.readouterr().out.split())  # the report wraps to the terminal width
    assert "No compliant slot before the deadline" in out
    assert "COVERAGE" in out
    assert "duty manager" in out
    assert "CAB_BLACKOUT" in out
    assert "escalate to support leadership" in out


def write_case(tmp_path: Path, change: Any) -> Path:
    """A copy of the valid case (with its calendars) after ``change(doc)``."""
    shutil.copytree(VALID.parent / "calendars", tmp_path / "calendars")
    doc = yaml.safe_load(VALID.read_text())
    change(doc)
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


BAD_INPUTS = [
    ("unknown key", lambda d: d["policy"].update(granularity=15), "policy.granularity"),
    ("timestamp without offset", lambda d: d["escalation"].update(customer_safe_rca_approved_at="2026-11-02T15:30:00"), "customer_safe_rca_approved_at"),
    ("unknown zone", lambda d: d["customer"].update(timezone="Mars/Olympus"), "customer.timezone"),
    ("impossible window", lambda d: d["customer"].update(meeting_hours={"mon-fri": "25:00-26:00"}), "customer.meeting_hours.mon-fri"),
    ("bad day key", lambda d: d["people"]["luis"].update(availability={"funday": "09:00-13:00"}), "people.luis.availability.funday"),
    ("zero duration", lambda d: d["escalation"]["readout"].update(duration_minutes=0), "escalation.readout.duration_minutes"),
    ("negative duration", lambda d: d["escalation"]["readout"].update(duration_minutes=-30), "escalation.readout.duration_minutes"),
    ("granularity", lambda d: d["policy"].update(granularity_minutes=7), "policy.granularity_minutes"),
    ("block ends before start", lambda d: d["customer"]["cab_blackouts"].insert(0, {"start": "2026-11-05T18:00:00-06:00", "end": "2026-11-05T17:00:00-06:00"}), "customer.cab_blackouts.0"),
    ("version", lambda d: d.update(version=2), "version"),
    ("missing calendar", lambda d: d["people"]["dana"].update(calendar="calendars/nobody.ics"), "people.dana.calendar"),
]  # fmt: skip


@pytest.mark.parametrize(("label", "change", "field"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_exits_2_naming_file_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], label: str, change: Any, field: str
) -> None:
    path = write_case(tmp_path, change)
    assert main(["plan", str(path), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing half-written
    assert str(path) in captured.err
    assert field in captured.err
    assert "Traceback" not in captured.err


def test_malformed_calendar_exits_2_naming_the_calendar(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_case(tmp_path, lambda d: None)
    (tmp_path / "calendars" / "ravi.ics").write_text("BEGIN:VCALENDAR\nthis is not icalendar\n")
    assert main(["plan", str(path)]) == 2
    err = capsys.readouterr().err
    assert "ravi.ics" in err
    assert "people.ravi.calendar" in err


@pytest.mark.parametrize(
    "content",
    ["", "version: 1\nescalation: [unclosed\n", "- just\n- a list\n"],
    ids=["empty", "syntax", "list"],
)
def test_unparseable_files_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(content)
    assert main(["plan", str(path)]) == 2
    assert str(path) in capsys.readouterr().err


def test_missing_case_file_and_bad_flags_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["plan", str(GLOBEX), "--now", "2026-11-12T09:00:00"])
    assert exc.value.code == 2
    assert "offset" in capsys.readouterr().err


def test_installed_command_runs_and_prints_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "case.yaml"
    bad.write_text("version: 1\npeople: {luis: {timezone: Mars/Olympus}}\n")
    proc = subprocess.run([str(READOUT), "plan", str(bad)], capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "Mars/Olympus" in proc.stderr
    helped = subprocess.run([str(READOUT), "plan", "--help"], capture_output=True, text=True, check=False)
    assert helped.returncode == 0
    assert "--now" in helped.stdout
    assert "needs_exception" in helped.stdout


def test_spec_example_loads_and_is_not_ready_for_the_role_it_leaves_unassigned(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The spec's own example names `mei` as customer success director without listing her in `people`.
    result = run_json(capsys, str(ROOT / "tests" / "cases" / "spec-example.yaml"))
    assert result["status"] == "not_ready"
    assert result["not_ready"] == ["ROLE_UNASSIGNED:customer_success_director"]
    assert result["deadline"] == "2026-11-10T06:00:00Z"
    assert result["earliest_start"] == "2026-11-04T15:00:00Z"  # max(now, approval) + 24h notice
    assert result["candidates"] == []
    assert result["causes"] == []


def test_issue_9_an_offset_now_is_labelled_with_its_utc_instant(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(GLOBEX), "--now", "2026-11-12T09:00:00-06:00"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Planned as of: Thu 12 Nov 09:00 Mexico City (15:00 UTC), from --now, not the clock" in out
    assert "(09:00 UTC)" not in out


def test_a_zone_abbreviation_plans_but_the_report_warns_what_it_means(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = write_case(tmp_path, lambda d: d["people"]["luis"].update(timezone="EST"))

    assert main(["plan", str(case)]) == 0

    out = " ".join(capsys.readouterr().out.split())
    assert "Warning: " in out
    assert "EST is a fixed UTC-05:00 offset" in out
    assert "America/New_York" in out


def test_a_time_zone_typo_is_refused_with_a_did_you_mean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = write_case(tmp_path, lambda d: d["customer"].update(timezone="america/mexico_city"))

    assert main(["plan", str(case)]) == 2

    err = capsys.readouterr().err
    assert "customer.timezone" in err
    assert "America/Mexico_City" in err


def test_a_case_planned_after_its_deadline_says_the_deadline_has_passed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["plan", str(GLOBEX), "--now", "2026-12-04T19:00:00Z"]) == 0

    out = " ".join(capsys.readouterr().out.split())
    assert "The deadline has passed or is too close: the earliest start, Sat 5 Dec 13:00 Mexico City" in out
    assert "end of Thu 19 Nov (Mexico City)" in out
