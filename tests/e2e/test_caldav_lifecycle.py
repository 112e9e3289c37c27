"""The whole readout against real servers: a local Radicale for every calendar, aiosmtpd as the relay.

Plans from CalDAV free/busy, places real holds on the organizer's calendar, survives someone booking the
reviewed slot (re-plan, no invitation), confirms another slot, delivers the iMIP REQUEST, then withdraws it.
"""

from __future__ import annotations

import email
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from icalendar import Calendar

from readout.entrypoints.cli import main
from tests.support.caldav_case import caldav_case, events_in, readout_events
from tests.support.dav_seed import make_calendar, upload_ics
from tests.support.dav_servers import DavServer
from tests.support.smtp_server import SmtpServer

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "globex-sso-outage"
T0 = "2026-11-12T09:00:00-06:00"


@pytest.fixture
def case_on_caldav(dav: DavServer, tmp_path: Path) -> Path:
    """The Globex example with every calendar moved onto the CalDAV server."""
    path = caldav_case(dav, tmp_path)
    assert "calendars/" not in path.read_text()
    return path


Run = Callable[..., str]


@pytest.fixture
def run(
    dav: DavServer,
    relay: SmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Run:
    monkeypatch.setenv("READOUT_DATABASE_URL", f"sqlite:///{tmp_path / 'readout.db'}")
    for name, value in dav.environ().items():  # the allow-list, the credentials and their origin
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("READOUT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("READOUT_SMTP_PORT", str(relay.port))
    monkeypatch.setenv("READOUT_SMTP_STARTTLS", "false")
    monkeypatch.setenv("READOUT_SMTP_FROM", "readout@provider.example")

    def readout(*args: str, expect: int = 0) -> str:
        code = main([*args] if args[0] == "users" else [*args, "--now", T0])  # users: the real clock only
        out, err = capsys.readouterr()
        assert code == expect, err
        assert "Traceback" not in err
        return out

    readout("users", "import", str(ROOT / "examples" / "users.yaml"))
    return readout


def holds_on(dav: DavServer, name: str = "dana") -> list[str]:
    return sorted(status for _, status in readout_events(dav, name))


def test_readout_on_caldav_from_plan_to_invitation(
    run: Run, dav: DavServer, relay: SmtpServer, case_on_caldav: Path
) -> None:
    local = json.loads(run("plan", str(EXAMPLE / "case.yaml"), "--json", "--all"))
    remote = json.loads(run("plan", str(case_on_caldav), "--json", "--all"))
    assert remote["unknown"] == []
    assert [c["start"] for c in remote["candidates"]] == [
        c["start"] for c in local["candidates"]
    ]  # same busy time
    assert remote["violations"] == local["violations"]

    run("open", str(case_on_caldav), "--as", "priya")
    run("hold", "ESC-48213", "--as", "dana")
    held = [e for e in events_in(dav, "dana") if e.get("X-READOUT-ESCALATION")]
    assert len(held) == 3
    for event in held:
        assert (str(event["STATUS"]), str(event["TRANSP"])) == ("TENTATIVE", "OPAQUE")
        assert str(event["SUMMARY"]) == "Hold: RCA readout (tentative)"
        assert "ATTENDEE" not in event
        assert "ORGANIZER" not in event
    # Every internal role holder's calendar is a CalDAV collection here: each of them carries the holds.
    assert holds_on(dav, "ravi") == holds_on(dav, "mei") == ["TENTATIVE"] * 3
    assert holds_on(dav, "sam") == []  # an optional attendee holds nothing
    # Our own holds are not busy time for this escalation: re-planning still offers the held slots.
    again = json.loads(run("plan", "ESC-48213", "--as", "dana", "--json"))
    assert len(again["plan"]["candidates"]) == 4
    run("hold", "ESC-48213", "--as", "dana")

    review = json.loads(
        run("review", "ESC-48213", "--slot", "2026-11-17T18:00:00Z", "--as", "dana", "--json")
    )
    booked = (
        (EXAMPLE / "calendars" / "mei.ics")
        .read_bytes()
        .replace(b"mei-qbr-20261118", b"mei-late-booking")
        .replace(b"20261118T100000", b"20261117T130000")
        .replace(b"20261118T113000", b"20261117T140000")
    )
    upload_ics(dav, "mei", booked)  # Mei is booked 13:00-14:00 ET on the 17th, after the review
    refused = run("confirm", "ESC-48213", "--packet", review["packet_digest"][:12], "--as", "priya", expect=3)
    assert "no longer compliant" in refused
    assert relay.messages == []  # nothing is sent unless a human confirmation goes through

    run("hold", "ESC-48213", "--as", "dana")
    review = json.loads(
        run("review", "ESC-48213", "--slot", "2026-11-19T16:30:00Z", "--as", "dana", "--json")
    )
    run("confirm", "ESC-48213", "--packet", review["packet_digest"][:12], "--as", "priya")
    # each role holder's hold on the slot became the readout; the others are gone
    assert holds_on(dav) == holds_on(dav, "ravi") == holds_on(dav, "mei") == ["CONFIRMED"]

    [message] = relay.messages
    parsed = email.message_from_bytes(message.content)
    [part] = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    invite = Calendar.from_ical(part.get_payload(decode=True))
    event = invite.walk("VEVENT")[0]
    assert str(invite["METHOD"]) == "REQUEST"
    assert event.decoded("DTSTART").isoformat() == "2026-11-19T16:30:00+00:00"
    attendees = event.get("ATTENDEE")
    assert len(attendees) == 5  # four roles and the interpreter
    assert all(a.params["ROLE"] == "REQ-PARTICIPANT" for a in attendees)
    for secret in ("SSO token validation", "certificate rotation", "Postmortem working session"):
        assert secret.encode() not in message.content

    run("cancel", "ESC-48213", "--as", "priya", "--reason", "customer postponed")
    cancel = email.message_from_bytes(relay.messages[-1].content)
    [part] = [p for p in cancel.walk() if p.get_content_type() == "text/calendar"]
    withdrawn = Calendar.from_ical(part.get_payload(decode=True))
    assert str(withdrawn["METHOD"]) == "CANCEL"
    assert int(withdrawn.walk("VEVENT")[0]["SEQUENCE"]) > int(event["SEQUENCE"])
    assert holds_on(dav) == holds_on(dav, "ravi") == holds_on(dav, "mei") == []


def _two_on_caldav(dav: DavServer, folder: Path) -> Path:
    """The Globex example with only Dana's (escalation manager) and Ravi's (fix owner) calendars on CalDAV."""
    shutil.copytree(EXAMPLE, folder, dirs_exist_ok=True)
    text = (folder / "case.yaml").read_text()
    for person in ("dana", "ravi"):
        url = make_calendar(dav, person)
        upload_ics(dav, person, EXAMPLE / "calendars" / f"{person}.ics")
        text = text.replace(f"calendars/{person}.ics", url)
    (folder / "case.yaml").write_text(text)
    return folder / "case.yaml"


def _booking(start: str, end: str) -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tests//EN\r\nBEGIN:VEVENT\r\nUID:ravi-late-booking\r\n"
        f"DTSTAMP:20261112T150000Z\r\nDTSTART:{start}\r\nDTEND:{end}\r\nSUMMARY:Vendor call\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def _held_slots(dav: DavServer, name: str) -> list[tuple[str, str]]:
    """(DTSTART in UTC, STATUS) of Readout's events in collection ``name``."""
    return sorted(
        (e.decoded("DTSTART").strftime("%Y-%m-%dT%H:%MZ"), str(e["STATUS"]))
        for e in events_in(dav, name)
        if e.get("X-READOUT-ESCALATION")
    )


def test_holds_go_on_two_people_s_collections_all_or_nothing_and_come_off_together(
    run: Run, dav: DavServer, tmp_path: Path
) -> None:
    case = _two_on_caldav(dav, tmp_path / "case")
    run("open", str(case), "--as", "priya")
    # Ravi books the best slot after the plan was made: his calendar refuses that hold
    upload_ics(dav, "ravi", _booking("20261117T184500Z", "20261117T190000Z"))

    refused = json.loads(run("hold", "ESC-48213", "--as", "dana", "--json", expect=3))

    assert "slot taken" in refused["problem"]
    assert _held_slots(dav, "dana") == [] == _held_slots(dav, "ravi")  # Dana's placements came off too

    held = json.loads(run("hold", "ESC-48213", "--as", "dana", "--json"))  # from the fresh plan

    # 18:00 is gone; Tuesday 17:45 and Thursday first, then the overlapping 17:30 tops up to three
    spread = ["2026-11-17T17:30Z", "2026-11-17T17:45Z", "2026-11-19T16:30Z"]
    tentative = [(start, "TENTATIVE") for start in spread]
    assert _held_slots(dav, "dana") == tentative == _held_slots(dav, "ravi")
    assert {h["where"] for h in held["live"]} == {"on the calendars of dana, ravi"}

    run("hold", "ESC-48213", "--release", "--slot", "2026-11-17T17:30:00Z", "--as", "dana")
    left = [("2026-11-17T17:45Z", "TENTATIVE"), ("2026-11-19T16:30Z", "TENTATIVE")]
    assert _held_slots(dav, "dana") == left == _held_slots(dav, "ravi")

    review = json.loads(
        run("review", "ESC-48213", "--slot", "2026-11-19T16:30:00Z", "--as", "dana", "--json")
    )
    run("confirm", "ESC-48213", "--packet", review["packet_digest"][:12], "--as", "priya")
    assert _held_slots(dav, "dana") == [("2026-11-19T16:30Z", "CONFIRMED")] == _held_slots(dav, "ravi")

    run("cancel", "ESC-48213", "--as", "priya", "--reason", "customer postponed")
    assert _held_slots(dav, "dana") == [] == _held_slots(dav, "ravi")
