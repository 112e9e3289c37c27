"""What a program manager reads from the workflow commands (issue 11): every time in the contract zone's local
time with its city and UTC second (the fix owner's own time next to near misses), and nothing claimed that did
not happen: no invitation without a relay, an exception request recorded (nobody notified) with who decides and
how, a hold on nobody's calendar shown as ledger only.

The real `readout` entry point on an SQLite store, no SMTP relay configured; the bundled examples' --now.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from readout.domain.holds import Hold, Placement
from readout.domain.intervals import Interval
from readout.entrypoints.cli import main
from tests.services.flows import book

ROOT = Path(__file__).resolve().parents[2]
USERS = ROOT / "examples" / "users.yaml"
GLOBEX = ROOT / "examples" / "globex-sso-outage" / "case.yaml"
FREEZE = ROOT / "examples" / "cab-freeze-no-slot" / "case.yaml"
FREEZE_BOTH = ROOT / "tests" / "services" / "cases" / "freeze-every-near-miss-crosses-a-handoff" / "case.yaml"
T0, T1 = "2026-11-12T09:00:00-06:00", "2026-11-23T12:00:00+01:00"
BEST = "2026-11-17T18:00:00Z"  # Tue 17 Nov 12:00 Mexico City


@dataclass
class Ran:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        """The output with box drawing and runs of spaces folded, so that wrapped panels read as prose."""
        return re.sub(r"\s+", " ", re.sub(r"[│╭╮╰╯─┃━┏┓┗┛┡┩╇┳┻╈┠┨┯┷]", " ", self.out))

    def json(self) -> dict[str, object]:
        data = json.loads(self.out)
        assert isinstance(data, dict)
        return data


class Cli:
    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    def __call__(self, *args: str, code: int = 0) -> Ran:
        got = main(list(args))
        out, err = self.capsys.readouterr()
        assert got == code, err or out
        return Ran(got, out, err)


@pytest.fixture
def readout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    monkeypatch.setenv("READOUT_DATABASE_URL", f"sqlite:///{tmp_path / 'readout.db'}")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("READOUT_SMTP_HOST", raising=False)
    cli = Cli(capsys)
    cli("users", "import", str(USERS))
    return cli


@pytest.fixture
def held(readout: Cli) -> Cli:
    readout("open", str(GLOBEX), "--as", "priya", "--now", T0)
    holds = json.loads(readout("hold", "ESC-48213", "--as", "dana", "--now", T0, "--json").out)["live"]
    assert BEST in [h["start"] for h in holds]
    return readout


def _confirmed(readout: Cli) -> Ran:
    review = readout("review", "ESC-48213", "--slot", BEST, "--as", "dana", "--now", T0, "--json").json()
    digest = str(review["packet_digest"])
    return readout("confirm", "ESC-48213", "--packet", digest[:12], "--as", "priya", "--now", T0)


def test_open_says_the_deadline_as_the_end_of_the_last_local_day_then_utc(readout: Cli) -> None:
    ran = readout("open", str(GLOBEX), "--as", "priya", "--now", T0)
    last = ran.out.strip().splitlines()[-1]
    assert (
        last
        == "Escalation ESC-48213 is now planned; deadline end of Thu 19 Nov (Mexico City) = Fri 20 Nov 06:00 UTC."
    )


def test_open_records_the_exception_request_notifies_nobody_and_names_who_decides(readout: Cli) -> None:
    ran = readout("open", str(FREEZE), "--as", "priya", "--now", T1)
    assert "sent to" not in ran.out
    lines = ran.out.strip().splitlines()
    assert lines[-1].startswith(
        "Escalation ESC-51007 is now exception_requested; deadline end of Mon 30 Nov (Berlin)"
    )
    assert "Exception request #1 is recorded in Readout. Nobody has been notified" in ran.text
    assert "- COVERAGE: the duty manager: Omar Haddad (omar)" in ran.text
    assert "readout approve ESC-51007 --slot START --reason TEXT --as USER" in ran.text
    # The options: the --slot to approve, Berlin and UTC, and the fix owner's own time (Ravi, Kolkata).
    assert "the fix owner's own time (Ravi Kumar, Kolkata)" in ran.text
    option = next(line for line in lines if "2026-11-24T11:00:00Z" in line)
    assert re.search(r"Tue 24 Nov 12:00-13:00\s+11:00-12:00 UTC\s+COVERAGE\s+16:30-17:30", option), option


def test_a_handoff_waiver_is_decided_by_the_engineering_manager_not_the_pm_it_was_raised_for(
    readout: Cli,
) -> None:
    data = readout("open", str(FREEZE_BOTH), "--as", "priya", "--now", T1, "--json").json()
    request = data["exception_request"]
    assert isinstance(request, dict)
    assert request["notified"] is False
    deciders = {d["family"]: d["users"] for d in request["deciders"]}
    assert deciders == {
        "COVERAGE": ["omar"],
        "HANDOFF_WINDOW": ["lena"],
    }  # priya opened it: not hers to waive
    status = readout("status", "ESC-51007", "--now", T1)
    assert (
        "- HANDOFF_WINDOW: the fix owner's manager (engineering manager) or a premium support program manager: "
        "Lena Fischer (lena)"
    ) in status.text


def test_holds_show_the_slot_and_expiry_in_the_contract_city_and_utc_and_that_they_are_in_the_ledger_only(
    held: Cli,
) -> None:
    ran = held("status", "ESC-48213", "--now", T0)
    assert "Deadline: end of Thu 19 Nov (Mexico City) = Fri 20 Nov 06:00 UTC" in ran.out
    assert "  Tue 17 Nov 12:00-13:00 Mexico City (18:00-19:00 UTC)  score" in ran.out  # the best candidate
    row = next(line for line in ran.out.splitlines() if "│ Tue 17 Nov 12:00-13:00" in line)
    assert "18:00-19:00 UTC" in row
    assert "ledger only" in row
    assert "Fri 13 Nov 09:00 (15:00 UTC)" in row  # expires 24 h after T0
    assert "on nobody's calendar" in ran.text
    assert "slot (Mexico City)" in ran.out


def test_review_gives_the_slot_in_the_contract_zone_and_utc_beside_each_invitees_own_time(held: Cli) -> None:
    ran = held("review", "ESC-48213", "--slot", BEST, "--as", "dana", "--now", T0)
    assert (
        "When: Tue 17 Nov 12:00-13:00 Mexico City (18:00-19:00 UTC) (America/Mexico_City, the contract zone)"
        in ran.out
    )
    assert "2026-11-17 23:30 IST" in ran.out  # Ravi's own start stays in the invitees table


def test_confirm_without_a_relay_warns_that_no_invitation_was_sent_and_shows_what_to_send(held: Cli) -> None:
    ran = _confirmed(held)
    assert ran.code == 0  # confirmed; the warning block is the signal (docs/workflow.md)
    assert "Confirmed in Readout by priya: Tue 17 Nov 12:00-13:00 Mexico City (18:00-19:00 UTC)." in ran.out
    assert "WARNING" in ran.out
    assert "NO INVITATION WAS SENT: no SMTP relay is configured (READOUT_SMTP_HOST)." in ran.text
    assert "Send the reviewed packet (below) to the attendees yourself." in ran.text
    assert "ravi.kumar@provider.example" in ran.out  # the packet to send is printed
    status = held("status", "ESC-48213", "--now", T0)
    assert "NO INVITATION WAS SENT for this readout" in status.text  # and status keeps saying so


def test_confirm_json_says_the_invitation_was_not_sent(held: Cli) -> None:
    review = held("review", "ESC-48213", "--slot", BEST, "--as", "dana", "--now", T0, "--json").json()
    digest = str(review["packet_digest"])[:12]
    data = held("confirm", "ESC-48213", "--packet", digest, "--as", "priya", "--now", T0, "--json").json()
    assert data["confirmed"] is True
    assert data["invitation_sent"] is False
    assert data["invitation_not_sent_reason"] == "no SMTP relay is configured (READOUT_SMTP_HOST)"


def test_cancelling_a_readout_nobody_was_invited_to_says_no_cancellation_was_sent(held: Cli) -> None:
    _confirmed(held)
    ran = held("cancel", "ESC-48213", "--as", "priya", "--reason", "customer withdrew", "--now", T0)
    assert "ESC-48213 cancelled in Readout." in ran.out
    assert "NO CANCELLATION WAS SENT by Readout" in ran.text


def test_list_reads_each_deadline_in_its_contract_zone_and_utc(readout: Cli) -> None:
    readout("open", str(GLOBEX), "--as", "priya", "--now", T0)
    readout("open", str(FREEZE), "--as", "priya", "--now", T1)
    ran = readout("list")
    globex = next(line for line in ran.out.splitlines() if line.startswith("ESC-48213"))
    assert re.search(r"end of Thu 19 Nov \(Mexico City\)\s+Fri 20 Nov 06:00 UTC", globex), globex
    initech = next(line for line in ran.out.splitlines() if line.startswith("ESC-51007"))
    assert re.search(r"end of Mon 30 Nov \(Berlin\)\s+Mon 30 Nov 23:00 UTC", initech), initech
    listed = json.loads(readout("list", "--json").out)
    assert [(x["deadline"], x["contract_zone"]) for x in listed] == [
        ("2026-11-20T06:00:00Z", "America/Mexico_City"),
        ("2026-11-30T23:00:00Z", "Europe/Berlin"),
    ]


def test_audit_show_gives_recorded_times_in_the_contract_zone_and_the_as_of_of_commands_run_with_now(
    held: Cli,
) -> None:
    ran = held("audit", "show", "ESC-48213")
    assert "recorded at (Mexico City)" in ran.out
    assert "as of (--now, Mexico City)" in ran.out
    placed = next(
        line for line in ran.out.splitlines() if "hold_placed" in line and "Tue 17 Nov 12:00" in line
    )
    assert "Thu 12 Nov 09:00 (15:00 UTC)" in placed  # as of T0
    assert "Tue 17 Nov 12:00-13:00 Mexico City (18:00-19:00 UTC)" in placed


def _holds_table(*holds: Hold) -> str:
    from rich.console import Console

    from readout.entrypoints.workflow_report import render_holds
    from readout.services.queries import CaseZones

    console = Console(file=io.StringIO(), width=220)
    render_holds(console, holds, "Holds", CaseZones("America/Sao_Paulo"))
    file = console.file
    assert isinstance(file, io.StringIO)
    return file.getvalue()


def _hold(*placements: Placement) -> Hold:
    slot = Interval(datetime(2026, 11, 24, 14, tzinfo=UTC), datetime(2026, 11, 24, 15, tzinfo=UTC))
    placed = datetime(2026, 11, 23, 12, tzinfo=UTC)
    first = placements[0]
    return Hold(
        1,
        first.uid,
        "ESC-1",
        slot,
        first.calendar,
        placed,
        placed + timedelta(hours=24),
        placements=placements,
    )


def test_a_hold_on_caldav_calendars_names_them_and_a_ledger_only_hold_says_it_is_on_nobodys_calendar() -> (
    None
):
    on_calendars = _hold(
        Placement("caldavs://dav.example/dana/holds/", "dana", "America/Chicago", "u1"),
        Placement("caldavs://dav.example/ravi/holds/", "ravi", "Asia/Kolkata", "u2"),
    )
    table = _holds_table(on_calendars)
    assert "caldavs://dav.example/dana/holds/" in table
    assert "caldavs://dav.example/ravi/holds/" in table
    assert "ledger only" not in table
    assert "Tue 24 Nov 11:00-12:00" in table  # São Paulo
    assert "14:00-15:00 UTC" in table
    ledger = _holds_table(_hold(Placement("dana", "dana", "America/Chicago", "u1")))
    row = next(line for line in ledger.splitlines() if "Tue 24 Nov 11:00-12:00" in line)
    assert "ledger only" in row
    assert "dana" not in row  # a person id is not a calendar: not shown as if the hold were on Dana's
    assert "on nobody's calendar" in ledger


def test_a_rejected_waiver_says_the_new_leadership_request_is_recorded_and_who_decides_it(
    readout: Cli,
) -> None:
    readout("open", str(FREEZE), "--as", "priya", "--now", T1)
    ran = readout("reject", "ESC-51007", "--as", "omar", "--reason", "no 05:00 start", "--now", T1)
    assert "Exception request #2 for support leadership: open" in ran.out
    assert "- support leadership: Grace Okafor (grace)" in ran.text
    assert "readout approve ESC-51007 --slot START --reason TEXT --as USER" in ran.text
    assert "Exception request #2 is recorded in Readout. Nobody has been notified" in ran.text
    assert (
        ran.out.strip()
        .splitlines()[-1]
        .startswith("Escalation ESC-51007 is now escalated; deadline end of Mon 30 Nov")
    )


def test_hold_slot_holds_that_one_eligible_slot(readout: Cli) -> None:
    readout("open", str(GLOBEX), "--as", "priya", "--now", T0)
    data = readout(
        "hold", "ESC-48213", "--slot", "2026-11-19T16:30:00Z", "--as", "dana", "--now", T0, "--json"
    ).json()
    live = data["live"]
    assert isinstance(live, list)
    assert [h["start"] for h in live] == ["2026-11-19T16:30:00Z"]


def test_a_refused_confirmation_says_who_became_busy_and_what_to_run_next(
    readout: Cli, tmp_path: Path
) -> None:
    copy = tmp_path / "globex"
    shutil.copytree(GLOBEX.parent, copy)
    readout("open", str(copy / "case.yaml"), "--as", "priya", "--now", T0)
    readout("hold", "ESC-48213", "--as", "dana", "--now", T0)
    review = readout("review", "ESC-48213", "--slot", BEST, "--as", "dana", "--now", T0, "--json").json()
    book(
        copy / "calendars" / "mei.ics",
        datetime(2026, 11, 17, 18, 30, tzinfo=UTC),
        datetime(2026, 11, 17, 19, tzinfo=UTC),
        "Board prep",
    )
    digest = str(review["packet_digest"])[:12]
    ran = readout("confirm", "ESC-48213", "--packet", digest, "--as", "priya", "--now", T0, code=3)
    assert "Not confirmed" in ran.out
    assert "Mei Chen (customer success director) is now busy" in ran.text
    assert "Board prep" not in ran.out  # free/busy only
    assert "Next:" in ran.out
    assert "readout hold ESC-48213" in ran.out
