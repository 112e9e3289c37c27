"""Issue 9, item 4, as a user meets it: `readout plan` on hostile inputs, in a process limited to 1 GB of
address space and given 20 s. Each input used to run for minutes, hang, or grow past gigabytes; now each is
answered, or refused with exit 2 and one line naming the file (and the field) and what was expected.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.ics_http_server import OUTBOUND_ALLOW, Feed, FeedServer

READOUT = Path(sys.executable).parent / "readout"
LIMITED = """\
import os, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
os.execv(sys.argv[1], sys.argv[1:])
"""
CASE = """\
version: 1
now: 2026-11-12T09:00:00Z
escalation: {{id: ESC-9, customer_safe_rca_approved_at: 2026-11-11T10:00:00Z}}
customer: {{id: acme, timezone: UTC}}
people:
  kari: {{timezone: UTC, calendar: "{calendar}"}}
roles: {{escalation_manager: kari, fix_owner: kari, customer_success_director: kari, customer_incident_manager: kari}}
"""


def readout_plan(target: Path | str, **environ: str) -> subprocess.CompletedProcess[str]:
    """`readout plan TARGET` with at most 1 GB of memory and 20 s."""
    return subprocess.run(
        [sys.executable, "-c", LIMITED, str(READOUT), "plan", str(target)],
        capture_output=True,
        text=True,
        timeout=20,
        env={**os.environ, **environ},
        check=False,
    )


def refused(target: Path | str, expected: str) -> None:
    done = readout_plan(target)
    assert done.returncode == 2
    assert done.stderr == f"readout: error: {target}: {expected}\n"


def case_with(folder: Path, calendar: str) -> Path:
    case = folder / "case.yaml"
    case.write_text(CASE.format(calendar=calendar))
    return case


def one_rule(rule: str) -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Readout tests//budgets//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:rule@readout.test\r\nDTSTAMP:20261001T000000Z\r\nDTSTART:19000101T000000Z\r\nDURATION:PT1M\r\n"
        f"RRULE:{rule}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


# --- case files -------------------------------------------------------------------------------------------------


def test_dev_zero_as_case_file() -> None:  # grew past 6 GB
    refused("/dev/zero", "is a device, not a regular file")


def test_fifo_as_case_file(tmp_path: Path) -> None:  # hung waiting for a writer
    fifo = tmp_path / "case.yaml"
    os.mkfifo(fifo)
    refused(fifo, "is a named pipe (FIFO), not a regular file")


def test_case_file_with_a_3_million_entry_list(tmp_path: Path) -> None:  # took 90 s and 2.4 GB
    case = tmp_path / "case.yaml"
    case.write_text(
        CASE.format(calendar="none.ics") + "optional_attendees: [" + ",".join(["kari"] * 3_000_000) + "]\n"
    )
    size = case.stat().st_size
    refused(case, f"is {size:,} bytes; expected at most 1,000,000 bytes (see docs/limits.md)")


# --- local calendars --------------------------------------------------------------------------------------------


def calendar_refused(folder: Path, calendar: Path | str, expected: str) -> None:
    case = case_with(folder, str(calendar))
    refused(case, f"people.kari.calendar: {calendar}: {expected}")


def test_a_50_mb_calendar(tmp_path: Path) -> None:  # took 28 s and 930 MB
    event = (
        b"BEGIN:VEVENT\r\nUID:e@readout.test\r\nDTSTAMP:20261001T000000Z\r\nDTSTART:20261112T090000Z\r\n"
        b"DURATION:PT30M\r\nSUMMARY:a meeting with a title of an ordinary length\r\nEND:VEVENT\r\n"
    )
    calendar = tmp_path / "big.ics"
    calendar.write_bytes(
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + event * (50_000_000 // len(event)) + b"END:VCALENDAR\r\n"
    )
    size = calendar.stat().st_size
    calendar_refused(
        tmp_path, calendar, f"is {size:,} bytes; expected at most 5,000,000 bytes (see docs/limits.md)"
    )


def test_dev_zero_and_a_fifo_as_calendars(tmp_path: Path) -> None:
    case = case_with(tmp_path, "/dev/zero")
    refused(
        case, "people.kari.calendar: calendar path is a device, not a regular file: /dev/zero (/dev/zero)"
    )
    fifo = tmp_path / "calendar.ics"
    os.mkfifo(fifo)
    case = case_with(tmp_path, "calendar.ics")
    expected = f"calendar path is a named pipe (FIFO), not a regular file: calendar.ics ({fifo})"
    refused(case, f"people.kari.calendar: {expected}")


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=MINUTELY;COUNT=100000000",  # ran for minutes
        "FREQ=SECONDLY;COUNT=10000000",  # took 32 s
    ],
)
def test_a_count_rule_from_1900_is_answered(tmp_path: Path, rule: str) -> None:
    (tmp_path / "kari.ics").write_bytes(one_rule(rule))
    done = readout_plan(case_with(tmp_path, "kari.ics"))
    assert done.returncode == 0, done.stderr


# --- feeds ------------------------------------------------------------------------------------------------------


def test_a_feed_with_a_minutely_count_rule_from_1900_does_not_outlive_the_plan(tmp_path: Path) -> None:
    # The source timeout reported "no answer", then the process kept expanding the feed for minutes.
    with FeedServer() as server:
        server.feeds["/kari.ics"] = Feed(one_rule("FREQ=MINUTELY;COUNT=100000000"))
        case = case_with(tmp_path, f"http://127.0.0.1:{server.port}/kari.ics")
        done = readout_plan(case, READOUT_OUTBOUND_ALLOW=OUTBOUND_ALLOW, READOUT_SOURCE_TIMEOUT="0.5")
    assert done.returncode == 0, done.stderr
