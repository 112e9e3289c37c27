"""`readout plan CASE` explains every dead end in terms of the inputs (issue 11, point 4).

The Banco Solaris case (tests/cases/banco-solaris/) and one variant per dead end: a roster on which nobody
qualifies, interpreters who qualify but cannot come, a role naming someone not in people, and a hard week
where a blackout, a handoff window and a few busy blocks leave nothing compliant.
"""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import datetime
from pathlib import Path

import pytest
from rich.console import Console

from readout import bootstrap
from readout.adapters.casefile.loader import load_case
from readout.domain.diagnosis import Calendars
from readout.entrypoints.cli import main
from readout.entrypoints.report import render_plan
from readout.services.gathering import gather
from readout.services.planning import PlannedCase, plan_case, planning_window

CASES = Path(__file__).resolve().parents[1] / "cases" / "banco-solaris"
NOW = "2026-11-19T18:00:00-03:00"  # Thu 19 Nov 18:00 São Paulo, an hour after the RCA approval
TITLES = (
    "Quarterly business review",
    "Northwind",
    "offsite",
    "renewal",
    "release watch",
    "Auditoria",
    "Court",
)


def flat(text: str) -> str:
    """The report with its line wrapping undone."""
    return " ".join(text.split())


def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, name: str, *args: str) -> str:
    """``readout plan`` on a variant, as a user runs it, on a wide terminal."""
    monkeypatch.setenv("COLUMNS", "220")
    assert main(["plan", str(CASES / name), "--now", NOW, *args]) == 0
    return flat(capsys.readouterr().out)


def planned(name: str) -> tuple[PlannedCase, Calendars]:
    """A variant planned as `readout plan` plans it, with what was read from its calendars."""
    loaded = load_case(CASES / name)
    reader = bootstrap.calendar_reader(bootstrap.settings())
    now = datetime.fromisoformat(NOW)
    window = planning_window(loaded.case, now)
    assert window is not None
    found = gather(loaded, reader, window, 10.0)
    # The case file's notes name its blackout blocks (Blackouts.labels, filled by the loader).
    blackouts = dataclasses.replace(loaded.case.blackouts, labels=("core banking release 26.11",))
    loaded = dataclasses.replace(loaded, case=dataclasses.replace(loaded.case, blackouts=blackouts))
    return plan_case(loaded, reader, now), Calendars(found.people, found.interpreters, found.blackouts)


def report(name: str, limit: int | None = 5) -> str:
    plan, calendars = planned(name)
    out = io.StringIO()
    render_plan(plan, Console(file=out, width=220, color_system=None), limit, calendars)
    return flat(out.getvalue())


def test_nobody_on_the_roster_qualifies_the_closest_misses_say_why(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = cli(capsys, monkeypatch, "interpreter-misses.yaml")
    assert "INTERPRETER: no approved 'pt' interpreter free" in out
    assert (
        "No interpreter on the roster speaks `pt` and is approved for `banco-solaris` (Banco Solaris; "
        "4 on the roster)." in out
    )
    assert "Beatriz Lima (beatriz): lists `Portuguese`, a language name: the roster needs the tag `pt`" in out
    assert (
        "Carla Souza (carla): is approved only for `globex-financial`, `initech-bank`, not `banco-solaris`"
        in out
    )
    assert (
        "João Pereira (joao): lists `por`, a three-letter code: the roster needs the tag `pt`; is approved for "
        "`Banco Solaris`, the customer's name: approval lists hold the customer id `banco-solaris`" in out
    )
    assert "1 other speaks no form of `pt`." in out  # Diego, Spanish only
    assert out.index("Beatriz Lima (beatriz)") < out.index("João Pereira (joao)")  # one problem before two


def test_interpreters_who_qualify_but_cannot_come_say_why_each() -> None:
    out = report("interpreter-unavailable.yaml")
    assert (
        "2 interpreters speak `pt` and are approved for `banco-solaris`, but none can come to any of the 85 "
        "possible starts inside support coverage and customer meeting hours." in out
    )
    assert (
        "Beatriz Lima (beatriz): qualifies, but their availability never holds a whole 60-minute slot inside "
        "support coverage and customer meeting hours before the deadline" in out
    )
    assert (
        "Rafael Alves (rafael): qualifies and is available at 85 of those starts, but their calendar is busy "
        "at every one" in out
    )
    assert "Court" not in out  # the event's title never shows


def test_a_role_naming_someone_not_in_people_names_them_and_suggests_the_id(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = cli(capsys, monkeypatch, "unknown-fix-owner.yaml")
    assert "not_ready" in out
    assert (
        "ROLE_UNASSIGNED:fix_owner: the fix owner role names `laim`, who is not in people "
        "(did you mean `liam`, Liam Carter?)" in out
    )


def test_relaxing_the_blackout_names_which_blackouts_and_which_slots() -> None:
    out = report("busy-week.yaml")
    cause = out.index("CAB_BLACKOUT: overlaps a CAB blackout (not waivable")
    help_ = out.index("8 slots break only CAB_BLACKOUT; the blackouts in the way:")
    assert cause < help_ < out.index("HANDOFF_WINDOW: crosses a handoff window")
    assert "`core banking release 26.11`: Wed 25 Nov 14:00-18:00 São Paulo (17:00-21:00 UTC): 3 slots" in out
    assert "weekly thu 09:00-12:00 São Paulo: 5 slots" in out
    assert (
        "First: Wed 25 Nov 14:00-15:00 São Paulo (17:00-18:00 UTC); Wed 25 Nov 14:30-15:30 São Paulo "
        "(17:30-18:30 UTC); Wed 25 Nov 15:00-16:00 São Paulo (18:00-19:00 UTC) (and 5 more)" in out
    )


def test_violations_are_also_counted_inside_customer_meeting_hours() -> None:
    out = report("busy-week.yaml")
    assert "What blocks the 347 possible starts (85 inside customer meeting hours)" in out
    assert "family blocked in meeting hours meaning waiver" in out.replace("┃", "").replace("  ", " ")
    # Marina blocks 318 starts, mostly nights and weekends; 56 of them inside the bank's meeting hours.
    assert "│ ATTENDEE:customer_incident_manager │ 318 │ 56 │ Marina Costa busy or unavailable" in out
    assert "│ INTERPRETER │ 252 │ 0 │" in out  # Beatriz is there whenever the bank meets


def test_the_busy_blocks_worth_asking_a_colleague_to_move_are_offered_next_to_the_near_misses() -> None:
    out = report("busy-week.yaml")
    asked = out.index("Before escalating, ask a colleague: moving one busy block would open compliant slots")
    assert out.index("Near misses (4)") < asked < out.index("What blocks the")
    aoife = (
        "Aoife Byrne (escalation manager): busy Tue 24 Nov 15:00-19:00 Dublin = Tue 24 Nov 12:00-16:00 São "
        "Paulo (15:00-19:00 UTC); moving it opens 7 slots, the first Tue 24 Nov 12:00-13:00 São Paulo "
        "(15:00-16:00 UTC)"
    )
    priya = (
        "Priya Nair (customer success director): busy Mon 23 Nov 09:00-12:00 Toronto = Mon 23 Nov 11:00-14:00 "
        "São Paulo (14:00-17:00 UTC); moving it opens 5 slots"
    )
    liam = (
        "Liam Carter (fix owner): busy Mon 23 Nov 22:00-Tue 24 Nov 00:00 Sydney = Mon 23 Nov 08:00-10:00 São"
    )
    assert out.index(aoife) < out.index(priya) < out.index(liam)
    assert "Marina Costa (customer incident manager): busy" not in out  # the customer's people: never asked
    assert not [title for title in TITLES if title in out]


def test_the_near_misses_show_the_fix_owner_s_local_time(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = cli(capsys, monkeypatch, "busy-week.yaml")
    assert "São Paulo ┃ fix owner Liam Carter ┃ UTC ┃ needs waiver from" in out
    assert "│ Thu 26 Nov 15:30-16:30 São Paulo │ Fri 27 Nov 05:30-06:30 Sydney │ 18:30-19:30 UTC │" in out


def test_the_json_plan_keeps_the_spec_s_keys(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    result = json.loads(cli(capsys, monkeypatch, "busy-week.yaml", "--json"))
    assert set(result) == {
        "escalation_id",
        "status",
        "not_ready",
        "earliest_start",
        "deadline",
        "candidates",
        "near_misses",
        "violations",
        "causes",
        "compliant_count",
        "near_miss_count",
        "slots_considered",
        "unverified",
        "unknown",
    }
    assert result["status"] == "needs_exception"
    assert (
        result["deadline"] == "2026-11-28T03:00:00Z"
    )  # end of Fri 27 Nov in São Paulo (Fri 20 Nov: holiday)


def test_the_cli_report_offers_moves_and_names_the_blackouts(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = cli(capsys, monkeypatch, "busy-week.yaml")
    assert "Aoife Byrne (escalation manager): busy Tue 24 Nov 15:00-19:00 Dublin" in out
    assert "8 slots break only CAB_BLACKOUT" in out
    assert "(85 inside customer meeting hours)" in out


def test_a_case_without_calendars_gets_every_explanation_from_the_cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The case with no calendar at all and a change freeze over the bank's meeting hours.
    text = (CASES / "case.yaml").read_text()
    text = "\n".join(line for line in text.splitlines() if "calendar: calendars/" not in line)
    freeze = '    - {weekly: {mon-fri: "09:00-18:00"}, note: "year-end freeze"}\n'
    text = text.replace("  cab_blackouts:\n", "  cab_blackouts:\n" + freeze)
    (tmp_path / "case.yaml").write_text(text)
    monkeypatch.setenv("COLUMNS", "220")
    assert main(["plan", str(tmp_path / "case.yaml"), "--now", NOW]) == 0
    out = flat(capsys.readouterr().out)
    assert "slots break only CAB_BLACKOUT; the blackouts in the way:" in out
    assert "weekly mon-fri 09:00-18:00 São Paulo:" in out
    assert "(85 inside customer meeting hours)" in out
