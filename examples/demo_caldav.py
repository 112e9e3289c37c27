"""`make demo-caldav`: the Globex readout against a real local CalDAV server and SMTP relay.

Starts Radicale (CalDAV) and aiosmtpd (SMTP) on 127.0.0.1, puts every example calendar on Radicale, points a
copy of the case file at it, and runs the workflow with the real `readout` command: plan from CalDAV
free/busy, real tentative holds on the escalation manager's calendar, review, confirmation, and the iMIP
invitation as received by the relay. Everything is stopped and removed at the end.
"""

from __future__ import annotations

import email
import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the throwaway servers live with the tests

from tests.support.dav_seed import make_calendar, upload_ics  # noqa: E402
from tests.support.dav_servers import throwaway_dav_server  # noqa: E402
from tests.support.smtp_server import smtp_server  # noqa: E402

EXAMPLE = ROOT / "examples" / "globex-sso-outage"
READOUT = str(Path(sys.executable).parent / "readout")
T0 = "2026-11-12T09:00:00-06:00"


def step(env: dict[str, str], *args: str) -> str:
    print(f"\n\033[1m$ readout {shlex.join(args)}\033[0m", flush=True)
    done = subprocess.run([READOUT, *args], env=env, capture_output=True, text=True, check=False)
    print(done.stdout + done.stderr, end="", flush=True)
    return done.stdout


CALENDARS = {"dana": "dana.ics", "ravi": "ravi.ics", "mei": "mei.ics", "sam": "sam.ics", "ana": "ana.ics"}


def main() -> int:
    with (
        tempfile.TemporaryDirectory(prefix="readout-caldav-") as work,
        throwaway_dav_server("radicale") as dav,
        smtp_server() as relay,
    ):
        text = (EXAMPLE / "case.yaml").read_text()
        for person, file in [*CALENDARS.items(), ("cab", "globex-cab.ics")]:
            url = make_calendar(dav, person)
            upload_ics(dav, person, EXAMPLE / "calendars" / file)
            text = text.replace(f"calendars/{file}", url)
        case = Path(work) / "case.yaml"
        case.write_text(text)
        print(f"# Radicale at {dav.base_url}, SMTP relay at 127.0.0.1:{relay.port}; case file {case}")
        env = {
            **os.environ,
            "COLUMNS": os.environ.get("COLUMNS", "110"),
            "READOUT_DATABASE_URL": f"sqlite:///{work}/readout.db",
            # Radicale listens on loopback over plain http: the operator allows it, and names the origin the
            # calendar credentials are for (docs/outbound.md).
            "READOUT_OUTBOUND_ALLOW": "127.0.0.1",
            "READOUT_CALENDAR_USERNAME": dav.username or "",
            "READOUT_CALENDAR_PASSWORD": dav.password or "",
            "READOUT_CALENDAR_ORIGIN": dav.base_url,
            "READOUT_SMTP_HOST": "127.0.0.1",
            "READOUT_SMTP_PORT": str(relay.port),
            "READOUT_SMTP_STARTTLS": "false",  # loopback demo relay; use STARTTLS for real relays
            "READOUT_SMTP_FROM": "readout@provider.example",
        }
        step(env, "users", "import", str(ROOT / "examples" / "users.yaml"), "--as", "alex")
        step(env, "open", str(case), "--as", "priya", "--now", T0)
        step(env, "hold", "ESC-48213", "--as", "dana", "--now", T0)
        step(env, "review", "ESC-48213", "--slot", "2026-11-17T18:00:00Z", "--as", "dana", "--now", T0)
        status = subprocess.run(
            [READOUT, "status", "ESC-48213", "--json"], env=env, capture_output=True, text=True, check=True
        )
        digest = json.loads(status.stdout)["escalation"]["packet_digest"][:12]
        print(f"\n# {len(relay.messages)} message(s) at the relay before confirmation")
        step(env, "confirm", "ESC-48213", "--packet", digest, "--as", "priya", "--now", T0)
        for message in relay.messages:
            parsed = email.message_from_bytes(message.content)
            print(f"\n# The relay received: To: {parsed['To']}\n# Subject: {parsed['Subject']}")
            for part in parsed.walk():
                if part.get_content_type() == "text/calendar":
                    payload = part.get_payload(decode=True)
                    assert isinstance(payload, bytes)
                    print(payload.decode())
        step(env, "audit", "verify")
    return 0


if __name__ == "__main__":
    sys.exit(main())
