"""Issue 14's "done when", end to end, on SQLite and PostgreSQL: the real ``readout serve`` (a child process)
with its leadership channel on a fake Slack (tests.support.fake_slack, 127.0.0.1), users imported from a
users file with Slack member ids, and ``readout worker --once`` run as a child process, as an operator runs it.

* The program manager opens the Initech freeze over the API; a worker pass posts ONE request message, which
  says what a duty manager needs (escalation, customer, deadline in Berlin, causes and who may waive each, the
  requester, near misses in local times, Approve with a confirm dialog, Reject, Open in Readout) and never
  the case's internal summary.
* The duty manager's click arrives as Slack sends it (form-encoded ``payload``, v0 signature, fresh
  timestamp): answered well within 3 s; the waiver is recorded through the service gates; after a worker pass
  the same message (channel and ts) is updated: its buttons replaced by "Approved by Omar Haddad at ...".
* Hold, review and confirm over the API: the message's thread tells the story in order, holds placed,
  reviewed, confirmed: without an SMTP relay with NO INVITATION WAS SENT and who sends the packet, with a
  relay (aiosmtpd on 127.0.0.1) with the invitation queued and sent once; and two
  more worker passes post nothing again.
* A decision taken in the web app (the duty manager signed in with a password) updates the same message.
* A linked user without the role, and a Slack user not linked, get an ephemeral refusal; nothing changes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from readout.adapters.slack.signature import sign
from tests.http.conftest import case_json
from tests.support.dav_servers import free_port
from tests.support.db_fixtures import Store, postgres_url, sql_uow_factory  # noqa: F401
from tests.support.fake_slack import FakeSlack, fake_slack
from tests.support.smtp_server import SmtpServer, smtp_server

ROOT = Path(__file__).resolve().parents[2]
ESC = "ESC-51007"
NOW = "2026-11-23T12:00:00+01:00"  # the freeze's case file's now
NEAR = "2026-11-24T11:00:00Z"  # its first near miss, 12:00 Berlin: needs COVERAGE waived
SECRET = "e2e-signing-secret"
SUMMARY = "Payment file transfer stalled"  # the case's internal summary: never leaves
OMAR, DANA, STRANGER = "U0OMAR", "U0DANA", "U0STRANGER"
PASSWORD = "omar-e2e-password-1"
USERS = """users:
  - {id: alex, name: Alex Kim, email: alex.kim@provider.example, roles: [administrator]}
  - {id: priya, name: Priya Shah, email: priya.shah@provider.example, roles: [program_manager], slack: U0PRIYA}
  - {id: dana, name: Dana Ortiz, email: dana.ortiz@provider.example, roles: [escalation_manager], slack: U0DANA}
  - {id: omar, name: Omar Haddad, email: omar.haddad@provider.example, roles: [duty_manager], slack: U0OMAR}
  - {id: lena, name: Lena Fischer, email: lena.fischer@provider.example, roles: [engineering_manager]}
  - {id: grace, name: Grace Okafor, email: grace.okafor@provider.example, roles: [support_leadership]}
"""


@dataclass
class Site:
    """The served app, its fake Slack, and the operator's commands on the same store."""

    base: str
    slack: FakeSlack
    env: dict[str, str]
    token: str
    relay: SmtpServer | None = None

    def cli(self, *args: str, stdin: str | None = None, expect: tuple[int, ...] = (0,)) -> str:
        ran = subprocess.run(
            [sys.executable, "-m", "readout.entrypoints.cli", *args],
            cwd=ROOT,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert ran.returncode in expect, f"{args}: exit {ran.returncode}\n{ran.stdout}\n{ran.stderr}"
        assert "Traceback" not in ran.stderr, ran.stderr
        return ran.stdout

    def worker(self) -> dict[str, Any]:
        passed: dict[str, Any] = json.loads(self.cli("worker", "--once", "--json", "--now", NOW))
        return passed

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, headers={"Authorization": f"Bearer {self.token}"}, timeout=60)

    def click(self, payload: dict[str, Any]) -> tuple[httpx.Response, float]:
        """POST an interaction as Slack does; the answer and how long it took (seconds)."""
        body = urlencode({"payload": json.dumps(payload)}).encode()
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": sign(SECRET, stamp, body),
        }
        started = time.monotonic()
        answer = httpx.post(f"{self.base}/slack/interactions", content=body, headers=headers, timeout=30)
        return answer, time.monotonic() - started

    def status(self) -> dict[str, Any]:
        with self.api() as api:
            found: dict[str, Any] = api.get(f"/v1/escalations/{ESC}").json()
        return found


def _until(check: Any, what: str, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


@pytest.fixture
def site(
    sql_uow_factory: Store,  # noqa: F811
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> Iterator[Site]:
    """Served on a store of each backend; ``indirect`` param "relay": with an SMTP relay (aiosmtpd)."""
    assert sql_uow_factory.url is not None
    with ExitStack() as stack:
        relay = stack.enter_context(smtp_server()) if getattr(request, "param", "") == "relay" else None
        yield from _served(sql_uow_factory, tmp_path, relay)


def _served(store: Store, tmp_path: Path, relay: SmtpServer | None) -> Iterator[Site]:
    assert store.url is not None
    for slack in fake_slack():
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("READOUT_")}
        env |= {
            "READOUT_DATABASE_URL": store.url,
            "READOUT_CALENDAR_ROOT": str(ROOT / "examples"),
            "READOUT_SLACK_API_URL": slack.url,
            "READOUT_SLACK_BOT_TOKEN": slack.token,
            "READOUT_SLACK_SIGNING_SECRET": SECRET,
            "READOUT_SLACK_CHANNEL": slack.channel,
            "READOUT_PUBLIC_ORIGIN": base,
        }
        if relay is not None:
            env |= {
                "READOUT_SMTP_HOST": "127.0.0.1",
                "READOUT_SMTP_PORT": str(relay.port),
                "READOUT_SMTP_STARTTLS": "false",
                "READOUT_SMTP_FROM": "readout@provider.example",
            }
        operator = Site(base, slack, env, "", relay)
        users = tmp_path / "users.yaml"
        users.write_text(USERS)
        operator.cli("users", "import", str(users))
        token = ["tokens", "create", "priya", "--name", "e2e", "--scope", "read", "--scope", "write"]
        created = json.loads(operator.cli(*token, "--as", "alex", "--json"))
        operator.token = created["token"]
        operator.cli("users", "set-password", "omar", "--as", "alex", stdin=PASSWORD + "\n")
        process = subprocess.Popen(
            [sys.executable, "-m", "readout.entrypoints.cli", "serve", "--port", str(port), "--now", NOW],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None:
                    pytest.fail(f"readout serve stopped: {process.communicate()[0][-3000:]}")
                assert time.monotonic() < deadline, "readout serve did not come up"
                time.sleep(0.2)
            yield operator
        finally:
            process.send_signal(signal.SIGINT)
            try:
                output = process.communicate(timeout=30)[0]
            except subprocess.TimeoutExpired:
                process.kill()
                output = process.communicate()[0]
            assert "Traceback" not in output, output[-5000:]


def _open(site: Site) -> dict[str, Any]:
    """The program manager opens the freeze over the API; a worker pass posts the request's message."""
    with site.api() as api:
        opened = api.post("/v1/escalations", json=case_json("cab-freeze-no-slot"))
    assert opened.status_code == 201, opened.text
    assert opened.json()["state"] == "exception_requested"
    site.worker()
    [message] = site.slack.top_level()
    return message


def _click(action: str, value: dict[str, Any], slack_user: str, ts: str) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": {"id": slack_user, "username": slack_user.lower()},
        "api_app_id": "A0READOUT",
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        "channel": {"id": "C0LEADERS", "name": "support-leadership"},
        "container": {"type": "message", "channel_id": "C0LEADERS", "message_ts": ts},
        "message": {"type": "message", "ts": ts},
        "actions": [
            {
                "action_id": action,
                "block_id": "option-1",
                "type": "button",
                "value": json.dumps(value, separators=(",", ":")),
                "action_ts": str(time.time()),
            }
        ],
    }


def _approve(slack_user: str, ts: str) -> dict[str, Any]:
    return _click("readout_approve", {"escalation": ESC, "request": 1, "slot": NEAR}, slack_user, ts)


def _text(message: dict[str, Any]) -> str:
    """What a reader sees: the notification text and every block's text, confirm dialogs included."""
    return message["text"] + "\n" + json.dumps(message["blocks"], ensure_ascii=False)


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


def _decided(site: Site) -> tuple[str, list[str], list[tuple[str, str]]]:
    found = site.status()
    return (
        found["state"],
        [r["decision"] for r in found["exception_requests"]],
        [(w["family"], w["approved_by"]) for w in found["waivers"]],
    )


def _nothing_secret_left(site: Site) -> None:
    everything = json.dumps([c.args for c in site.slack.calls], ensure_ascii=False)
    assert SUMMARY not in everything
    assert "TLS inspection" not in everything


@pytest.mark.parametrize("site", ["no relay", "relay"], indirect=True)
def test_the_duty_managers_click_approves_and_the_thread_tells_the_readouts_story(site: Site) -> None:
    message = _open(site)

    # ONE request message, saying what the duty manager needs to decide.
    [posted] = site.slack.of("chat.postMessage")
    assert posted.args["channel"] == "C0LEADERS"
    assert not posted.args.get("thread_ts")
    seen = _text(message)
    assert "Exception request #1: ESC-51007 (Initech Bank)" in message["text"]
    assert "*Escalation:* ESC-51007" in seen
    assert "*Customer:* Initech Bank" in seen
    assert "end of Mon 30 Nov (Berlin) = Mon 30 Nov 23:00 UTC" in seen  # the contract zone's deadline
    assert "COVERAGE: the duty manager: Omar Haddad (omar)" in seen
    assert "CAB_BLACKOUT (cannot be waived): support leadership: Grace Okafor (grace)" in seen
    assert "*Requested by:* Readout, when Priya Shah's plan found no compliant slot" in seen
    assert (
        "1. Tue 24 Nov 12:00-13:00 Berlin (11:00-12:00 UTC); Ravi Kumar (fix owner): 16:30-17:30 Kolkata: "
        "needs COVERAGE waived"
    ) in seen
    assert "Next: a decider (COVERAGE: Omar Haddad) approves an option (Approve)" in seen
    buttons = _buttons(message)
    approves = [b for b in buttons if b["action_id"] == "readout_approve"]
    assert 1 <= len(approves) <= 5
    assert json.loads(approves[0]["value"]) == {"escalation": ESC, "request": 1, "slot": NEAR}
    assert approves[0]["confirm"]["confirm"]["text"] == "Approve"
    assert "waiver of COVERAGE for Tue 24 Nov 12:00-13:00 Berlin" in approves[0]["confirm"]["text"]["text"]
    [reject] = [b for b in buttons if b["action_id"] == "readout_reject"]
    assert reject["text"]["text"] == "Reject"
    [link] = [b for b in buttons if b["text"]["text"] == "Open in Readout"]
    assert link["url"] == f"{site.base}/approvals/{ESC}/1"
    assert httpx.get(link["url"], timeout=30).status_code in (200, 303, 401)  # the page exists (sign-in)
    _nothing_secret_left(site)

    # The duty manager clicks Approve (after the confirm dialog): Slack's request, signed.
    answer, took = site.click(_approve(OMAR, message["ts"]))
    assert answer.status_code == 200, answer.text
    assert took < 3
    assert _decided(site) == ("exception_approved", ["approved"], [("COVERAGE", "omar")])
    _until(lambda: site.slack.of("chat.postEphemeral"), "Omar is told what his click did")
    [told] = site.slack.of("chat.postEphemeral")
    assert told.args["user"] == OMAR
    assert (
        "You approved ESC-51007 request #1 for the slot Tue 24 Nov 12:00-13:00 Berlin (11:00-12:00 UTC); "
        "Ravi Kumar (fix owner): 16:30-17:30 Kolkata: recorded in Readout as waived: COVERAGE."
    ) in told.args["text"]
    assert "Nothing is held yet. Next: the program or escalation manager places the hold" in told.args["text"]

    site.worker()
    [update] = site.slack.of("chat.update")  # the same message, updated in place once
    assert (update.args["channel"], update.args["ts"]) == ("C0LEADERS", message["ts"])
    [top] = site.slack.top_level()
    assert top["ts"] == message["ts"]
    assert not [b for b in _buttons(top) if b["action_id"] in ("readout_approve", "readout_reject")]
    assert (
        "Approved by Omar Haddad at Mon 23 Nov 12:00 Berlin (11:00 UTC): the slot Tue 24 Nov 12:00-13:00 "
        "Berlin (11:00-12:00 UTC); Ravi Kumar (fix owner): 16:30-17:30 Kolkata with COVERAGE waived"
    ) in _text(top)

    # Hold, review and confirm over the API, as the program manager.
    with site.api() as api:
        held = api.post(f"/v1/escalations/{ESC}/holds", json={"slot": NEAR})
        assert held.status_code == 200, held.text
        site.worker()
        reviewed = api.post(f"/v1/escalations/{ESC}/review", json={"slot": NEAR})
        assert reviewed.status_code == 200, reviewed.text
        site.worker()
        confirmed = api.post(
            f"/v1/escalations/{ESC}/confirm", json={"packet_digest": reviewed.json()["packet_digest"]}
        )
        assert confirmed.status_code == 200, confirmed.text
        assert confirmed.json()["confirmed"]
        # false: no relay, nobody is invited; null: queued in the outbox (its effect says how it went)
        assert confirmed.json()["invitation_sent"] is (None if site.relay else False)
    site.worker()
    site.worker()
    site.worker()  # twice more: nothing is posted again

    thread = [m["text"] for m in site.slack.thread(message["ts"])]
    # The worker's deadline-at-risk reminder (0 compliant slots in the plan) goes in the thread too, once.
    reminders = [r for r in thread if r.startswith("Reminder: ")]
    assert len(reminders) <= 1, reminders
    replies = [r for r in thread if not r.startswith("Reminder: ")]
    assert len(replies) == 3, thread
    assert replies[0].startswith("1 hold(s) placed by Priya Shah at Mon 23 Nov 12:00 Berlin (11:00 UTC):")
    assert "Tue 24 Nov 12:00-13:00 Berlin (11:00-12:00 UTC)" in replies[0]
    assert replies[1].startswith("Priya Shah reviewed the invite packet for Tue 24 Nov 12:00-13:00 Berlin")
    assert replies[2].startswith("Confirmed in Readout by Priya Shah: Tue 24 Nov 12:00-13:00 Berlin")
    if site.relay is None:  # the honest outcome without a relay: nobody was invited, and who acts next
        assert "NO INVITATION WAS SENT: no SMTP relay is configured (READOUT_SMTP_HOST)." in replies[2]
        assert "(below)" not in replies[2]  # the packet is not in the channel
        assert replies[2].endswith(
            f"Next: Dana Ortiz, the escalation manager, sends the reviewed packet (on {site.base}/escalations/"
            f"{ESC}) to the attendees."
        )
    else:  # queued when the thread was told; the relay got it once, however many passes ran
        assert "NO INVITATION" not in replies[2]
        assert "The invitation to the 4 attendees is queued in Readout's outbox" in replies[2]
        [invitation] = site.relay.messages
        assert b"METHOD:REQUEST" in invitation.content
        assert SUMMARY.encode() not in invitation.content
    threaded = [c for c in site.slack.of("chat.postMessage") if c.args.get("thread_ts")]
    assert [c.args["thread_ts"] for c in threaded] == [message["ts"]] * len(thread)  # each posted once
    assert len(site.slack.of("chat.postMessage")) == 1 + len(thread)
    assert len(site.slack.of("chat.update")) == 1
    assert len(site.slack.top_level()) == 1
    _nothing_secret_left(site)


def test_a_decision_taken_in_the_web_app_updates_the_same_message(site: Site) -> None:
    message = _open(site)
    with httpx.Client(base_url=site.base, timeout=60) as browser:
        signed_in = browser.post("/v1/session", json={"user": "omar", "password": PASSWORD})
        assert signed_in.status_code == 200, signed_in.text
        cookie = signed_in.headers["set-cookie"].split(";")[0]  # marked Secure: sent by hand over http
        approved = browser.post(
            f"/approvals/{ESC}/1/approve",
            data={"slot": NEAR, "reason": "the duty engineer stays on"},
            headers={"Cookie": cookie, "Origin": site.base, "Sec-Fetch-Site": "same-origin"},
        )
    assert approved.status_code == 200, approved.text[-2000:]
    assert "Exception request #1 approved" in approved.text
    assert _decided(site) == ("exception_approved", ["approved"], [("COVERAGE", "omar")])

    site.worker()

    [update] = site.slack.of("chat.update")
    assert (update.args["channel"], update.args["ts"]) == ("C0LEADERS", message["ts"])
    [top] = site.slack.top_level()
    assert "Approved by Omar Haddad at Mon 23 Nov 12:00 Berlin (11:00 UTC)" in _text(top)
    assert not [b for b in _buttons(top) if b["action_id"] in ("readout_approve", "readout_reject")]
    assert not site.slack.of("chat.postEphemeral")  # nobody clicked in Slack


@pytest.mark.parametrize(
    ("slack_user", "says"),
    [
        (
            DANA,
            "Dana Ortiz may not waive COVERAGE for this slot. Nothing was decided. Next: a decider "
            "(COVERAGE: Omar Haddad) decides it.",
        ),
        (STRANGER, "not linked to a Readout user"),
    ],
    ids=["linked-without-the-role", "not-linked"],
)
def test_a_click_by_someone_who_may_not_decide_is_refused_in_private(
    site: Site, slack_user: str, says: str
) -> None:
    message = _open(site)

    answer, took = site.click(_approve(slack_user, message["ts"]))
    site.worker()

    assert answer.status_code == 200
    assert took < 3
    _until(lambda: site.slack.of("chat.postEphemeral"), "the refusal is told")
    [told] = site.slack.of("chat.postEphemeral")
    assert (told.args["user"], told.args["channel"]) == (slack_user, "C0LEADERS")
    assert says in told.args["text"]
    assert "Nothing was decided" in told.args["text"]
    assert _decided(site) == ("exception_requested", ["open"], [])
    assert not site.slack.of("chat.update")
    [top] = site.slack.top_level()
    assert [b["action_id"] for b in _buttons(top)].count("readout_approve") >= 1  # still to be decided
