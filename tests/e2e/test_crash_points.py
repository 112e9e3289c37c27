"""Issue 9, defects 1 and 2: a process killed at any point of hold, confirm or cancel leaves a state the next
`readout reap` (and the same command run again) completes, against a real Radicale and a real SMTP relay.

Each case kills `readout` (``os._exit``, as ``kill -9``) before or after one calendar write, one SMTP send or
one store commit, then recovers, and checks that the store, the CalDAV calendar and the relay agree: the live
holds in the ledger are exactly the holds on the organizer's calendar, a confirmed readout is one CONFIRMED
event, at most one invitation (and one cancellation) went out, and the audit chain is intact and says so.
"""

from __future__ import annotations

import email
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar

from readout.domain.holds import Hold, hold_uid
from readout.domain.intervals import Interval
from readout.entrypoints.cli import main
from tests.support.caldav_case import caldav_case, readout_events
from tests.support.crashing_readout import CRASHED
from tests.support.dav_servers import DavServer
from tests.support.smtp_server import SmtpServer

ROOT = Path(__file__).resolve().parents[2]
ESC = "ESC-48213"
T0 = "2026-11-12T09:00:00-06:00"
T1 = "2026-11-12T09:10:00-06:00"  # after any lease a killed process left (two minutes)
T2 = "2026-11-12T09:20:00-06:00"
BEST = "2026-11-17T18:00:00Z"


class Desk:
    """The organizer's desk: `readout` in this process, and killed ones in child processes."""

    def __init__(self, environ: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
        self.environ, self.capsys = environ, capsys

    def __call__(self, *args: str, now: str = T0, expect: tuple[int, ...] = (0,)) -> str:
        code = main([*args] if args[0] == "users" else [*args, "--now", now])  # users: the real clock only
        out, err = self.capsys.readouterr()
        assert code in expect, f"{args}: exit {code}: {err}"
        assert "Traceback" not in err
        return out

    def killed(self, point: str, *args: str) -> None:
        env = {**self.environ, "READOUT_CRASH_AT": point, "PATH": os.environ.get("PATH", "/usr/bin")}
        ran = subprocess.run(
            [sys.executable, "-m", "tests.support.crashing_readout", *args, "--now", T0],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert ran.returncode == CRASHED, f"never reached {point}: exit {ran.returncode}\n{ran.stderr}"

    def status(self) -> dict[str, object]:
        data: dict[str, object] = json.loads(self("status", ESC, "--json"))
        return data

    def kinds(self) -> list[str]:
        return [e["kind"] for e in json.loads(self("audit", "show", ESC, "--json"))]


@pytest.fixture
def desk(
    dav: DavServer,
    relay: SmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Desk:
    environ = {
        "READOUT_DATABASE_URL": f"sqlite:///{tmp_path / 'readout.db'}",
        **dav.environ(),
        "READOUT_SMTP_HOST": "127.0.0.1",
        "READOUT_SMTP_PORT": str(relay.port),
        "READOUT_SMTP_STARTTLS": "false",
        "READOUT_SMTP_FROM": "readout@provider.example",
        "HOME": str(tmp_path),
    }
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    desk = Desk(environ, capsys)
    desk("users", "import", str(ROOT / "examples" / "users.yaml"))
    desk("open", str(caldav_case(dav, tmp_path)), "--as", "priya")
    return desk


def _held(desk: Desk) -> None:
    desk("hold", ESC, "--as", "dana")


def _reviewed(desk: Desk) -> str:
    _held(desk)
    review = json.loads(desk("review", ESC, "--slot", BEST, "--as", "dana", "--json"))
    return str(review["packet_digest"])[:12]


def _methods(relay: SmtpServer) -> list[str]:
    found = []
    for message in relay.messages:
        parsed = email.message_from_bytes(message.content)
        [part] = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
        found.append(str(Calendar.from_ical(part.get_payload(decode=True))["METHOD"]))
    return found


def _ledger_live(desk: Desk) -> list[str]:
    holds = desk.status()["holds"]
    assert isinstance(holds, list)
    return sorted(h["uid"] for h in holds if h["status"] == "live")


def _intact(desk: Desk) -> None:
    assert desk("audit", "verify").count("intact") >= 1
    assert "TAMPERED" not in desk("audit", "verify")


HOLD_POINTS = [
    "before:commit:1",  # nothing decided yet
    "after:commit:1",  # decided, nothing on the calendar
    "before:place:1",
    "after:place:1",  # on the calendar, not yet recorded as such
    "after:place:3",
    "before:commit:3",  # the first hold's outcome not yet recorded
]


@pytest.mark.parametrize("point", HOLD_POINTS)
def test_a_killed_hold_leaves_no_orphan_and_the_next_run_completes(
    desk: Desk, dav: DavServer, point: str
) -> None:
    desk.killed(point, "hold", ESC, "--as", "dana")

    desk("reap", now=T1)
    desk("hold", ESC, "--as", "dana", now=T1)
    desk("reap", now=T2)

    on_calendar = readout_events(dav, "dana")
    assert sorted(uid for uid, _ in on_calendar) == _ledger_live(desk)
    assert [status for _, status in on_calendar] == ["TENTATIVE"] * 3
    assert desk.status()["effects"] == []
    _intact(desk)


CONFIRM_POINTS = [
    "before:commit:1",
    "after:commit:1",  # confirmed in the store; the calendar and the relay not yet touched
    "before:confirm:1",
    "after:confirm:1",  # the event is CONFIRMED on the calendar, not yet recorded
    "before:send:1",  # the invitation claimed, not sent
    "after:send:1",  # sent, not recorded: never sent again
    "after:release:1",
]


@pytest.mark.parametrize("point", CONFIRM_POINTS)
def test_a_killed_confirmation_ends_confirmed_with_one_invitation_at_most(
    desk: Desk, dav: DavServer, relay: SmtpServer, point: str
) -> None:
    packet = _reviewed(desk)
    desk.killed(point, "confirm", ESC, "--packet", packet, "--as", "priya")

    desk("reap", now=T1)
    desk("confirm", ESC, "--packet", packet, "--as", "priya", now=T1, expect=(0, 3))
    desk("reap", now=T2)

    assert desk.status()["escalation"]["state"] == "confirmed"  # type: ignore[index]
    assert [status for _, status in readout_events(dav, "dana")] == ["CONFIRMED"]
    assert _ledger_live(desk) == []
    requests = _methods(relay).count("REQUEST")
    assert requests <= 1
    kinds = desk.kinds()
    if requests == 0:
        assert "invite_uncertain" in kinds  # told, never claimed as sent
    else:
        assert ("invite_sent" in kinds) != ("invite_uncertain" in kinds)
    assert kinds.count("confirm") == 1
    _intact(desk)


CANCEL_POINTS = ["before:commit:1", "after:commit:1", "after:send:1", "before:release:1", "after:release:1"]


@pytest.mark.parametrize("point", CANCEL_POINTS)
def test_a_killed_cancellation_takes_the_readout_off_and_cancels_it_once(
    desk: Desk, dav: DavServer, relay: SmtpServer, point: str
) -> None:
    packet = _reviewed(desk)
    desk("confirm", ESC, "--packet", packet, "--as", "priya")
    desk.killed(point, "cancel", ESC, "--as", "priya", "--reason", "customer postponed")

    desk("reap", now=T1)
    desk("cancel", ESC, "--as", "priya", "--reason", "customer postponed", now=T1, expect=(0, 3))
    desk("reap", now=T2)

    assert desk.status()["escalation"]["state"] == "cancelled"  # type: ignore[index]
    assert readout_events(dav, "dana") == []
    methods = _methods(relay)
    assert methods.count("REQUEST") == 1
    assert methods.count("CANCEL") <= 1
    assert methods.count("CANCEL") == 1 or "invite_uncertain" in desk.kinds()
    _intact(desk)


def test_reap_releases_a_hold_on_the_calendar_that_the_ledger_does_not_know(
    desk: Desk, dav: DavServer
) -> None:
    from readout import bootstrap

    _held(desk)
    config = bootstrap.settings()
    calendar = dav.caldav_url("dana")
    slot = Interval(  # eligible, but not held: the holds are spread over Tuesday and Thursday
        datetime(2026, 11, 17, 17, 30, tzinfo=UTC), datetime(2026, 11, 17, 18, 30, tzinfo=UTC)
    )
    placed = datetime(2026, 11, 12, 15, tzinfo=UTC)
    orphan = Hold(0, hold_uid(ESC, slot, calendar), ESC, slot, calendar, placed, placed + timedelta(days=1))
    bootstrap.hold_calendar(config, bootstrap.calendar_reader(config)).place(
        orphan
    )  # as an old crash left it
    assert len(readout_events(dav, "dana")) == 4

    desk("reap", now=T1)

    assert sorted(uid for uid, _ in readout_events(dav, "dana")) == _ledger_live(desk)
    assert desk.kinds().count("orphan_hold_released") == 1
    _intact(desk)
