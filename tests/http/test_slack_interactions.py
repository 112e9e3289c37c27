"""``POST /slack/interactions`` against the fake Slack: only signed, fresh, first-time requests are taken; a
linked duty manager's click approves the Initech freeze's coverage near miss through the same gate as the API;
a linked user without the role, or a Slack user not linked, is told why (ephemeral) and nothing changes; Reject
opens the reason modal, whose submission rejects with the typed reason."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from readout import bootstrap
from readout.adapters.slack import SlackChannel
from readout.adapters.slack.signature import sign
from readout.config import SlackSettings
from readout.domain.audit import AuditEntry
from readout.domain.intervals import utc_text
from readout.entrypoints.http import health
from readout.entrypoints.http.app import create_app
from readout.entrypoints.http.auth import principal
from readout.services.context import Deps
from tests.http.conftest import FREEZE, FREEZE_ID, _test_principal, as_user, case_json
from tests.services.flows import DUTY, EM, PSM, USERS
from tests.support.db_fixtures import Store
from tests.support.fake_slack import FakeSlack, fake_slack

SECRET = "slack-signing-secret-for-tests"
NEAR = "2026-11-24T11:00:00Z"  # the freeze's 12:00 Berlin near miss (needs a coverage waiver)
OMAR, DMITRI, STRANGER = "U0OMAR", "U0DMITRI", "U0STRANGER"
INTERACTIONS = "/slack/interactions"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    yield from fake_slack()


@pytest.fixture
def site(deps: Deps, store: Store, slack: FakeSlack) -> Iterator[TestClient]:
    """The app with the leadership channel on the fake Slack; omar (duty manager) and dmitri (escalation
    manager) linked to Slack users; the Initech freeze opened (its exception request is #1)."""
    with store() as uow:
        for user in USERS:
            linked = {DUTY: OMAR, EM: DMITRI}.get(user.id)
            uow.users.put(replace(user, slack=linked) if linked else user)
        uow.commit()
    settings = SlackSettings(slack.url, slack.token, SECRET, slack.channel)
    environ = {
        "READOUT_DATABASE_URL": str(store.url),
        "READOUT_SLACK_API_URL": slack.url,
        "READOUT_SLACK_BOT_TOKEN": slack.token,
        "READOUT_SLACK_SIGNING_SECRET": SECRET,
        "READOUT_SLACK_CHANNEL": slack.channel,
    }
    readiness = health.store_readiness(bootstrap.settings(environ), environ)
    app = create_app(replace(deps, channel=SlackChannel(settings)), readiness=readiness, environ=environ)
    app.dependency_overrides[principal] = _test_principal
    with TestClient(app, raise_server_exceptions=True) as client:
        opened = client.post("/v1/escalations", json=case_json(FREEZE), headers=as_user(PSM))
        assert opened.json()["state"] == "exception_requested"
        yield client


def body_of(payload: dict[str, Any]) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def signed(body: bytes, *, at: float | None = None, secret: str = SECRET) -> dict[str, str]:
    stamp = str(int(time.time() if at is None else at))
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": sign(secret, stamp, body),
    }


def click(action_id: str, value: dict[str, Any], slack_user: str) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": {"id": slack_user, "username": "someone"},
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        "channel": {"id": "C0LEADERS"},
        "container": {"type": "message", "channel_id": "C0LEADERS", "message_ts": "1700000000.000001"},
        "actions": [
            {"action_id": action_id, "block_id": "option-1", "type": "button", "value": json.dumps(value)}
        ],
    }


def approve(slack_user: str, request: int = 1, slot: str = NEAR) -> dict[str, Any]:
    return click("readout_approve", {"escalation": FREEZE_ID, "request": request, "slot": slot}, slack_user)


def submit_reason(slack_user: str, reason: str) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "user": {"id": slack_user},
        "view": {
            "id": "V0MODAL",
            "callback_id": "readout_reject_reason",
            "private_metadata": json.dumps({"escalation": FREEZE_ID, "request": 1}),
            "state": {"values": {"reason": {"reason": {"type": "plain_text_input", "value": reason}}}},
        },
    }


def post(site: TestClient, payload: dict[str, Any]) -> Any:
    body = body_of(payload)
    return site.post(INTERACTIONS, content=body, headers=signed(body))


def stored(store: Store) -> tuple[str, list[tuple[str, str, str]], list[str]]:
    """The freeze as stored: its state, its waivers (family, start, approved by) and its requests' decisions."""
    with store() as uow:
        esc = uow.escalations.get(FREEZE_ID)
        assert esc is not None
        waivers = [(w.family, utc_text(w.slot.start) or "", w.approved_by) for w in uow.waivers.of(FREEZE_ID)]
        return esc.state.value, waivers, [r.decision.value for r in uow.exceptions.of(FREEZE_ID)]


def trail(store: Store) -> list[AuditEntry]:
    with store() as uow:
        return uow.audit.entries(FREEZE_ID)


def unchanged(store: Store) -> None:
    assert stored(store) == ("exception_requested", [], ["open"])


def test_unsigned_forged_and_stale_requests_are_refused_and_decide_nothing(
    site: TestClient, store: Store
) -> None:
    body = body_of(approve(OMAR))
    plain = {"Content-Type": "application/x-www-form-urlencoded"}

    answers = [
        site.post(INTERACTIONS, content=body, headers=plain),
        site.post(INTERACTIONS, content=body, headers=signed(body, secret="not-the-secret")),
        site.post(INTERACTIONS, content=body, headers=signed(body, at=time.time() - 6 * 60)),
        site.post(
            INTERACTIONS, content=body_of(approve(OMAR, slot="2026-11-24T12:00:00Z")), headers=signed(body)
        ),
    ]

    assert [a.status_code for a in answers] == [401, 401, 401, 401]
    assert "5 minutes" in answers[2].json()["error"]
    unchanged(store)


def test_a_replayed_request_is_refused(site: TestClient, slack: FakeSlack) -> None:
    body = body_of(approve(DMITRI))  # refused by the gate: the first answer changes nothing either
    headers = signed(body)
    first = site.post(INTERACTIONS, content=body, headers=headers)

    again = site.post(INTERACTIONS, content=body, headers=headers)

    assert first.status_code == 200
    assert again.status_code == 401
    assert "replay" in again.json()["error"]
    assert len(slack.of("chat.postEphemeral")) == 1  # only the first was carried out


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"payload=not-json",
        urlencode({"payload": "[1, 2]"}).encode(),
        body_of({"type": "block_actions", "user": {"id": OMAR}}),
        body_of({**approve(OMAR), "actions": [{"action_id": "readout_approve", "value": "{oops"}]}),
        body_of(click("readout_approve", {"escalation": FREEZE_ID, "request": 1, "slot": "tomorrow"}, OMAR)),
        body_of(click("readout_approve", {"escalation": FREEZE_ID, "request": "1", "slot": NEAR}, OMAR)),
        b"payload=%FF%FE",
    ],
)
def test_a_malformed_signed_payload_is_a_400_not_a_500(site: TestClient, store: Store, body: bytes) -> None:
    answer = site.post(INTERACTIONS, content=body, headers=signed(body))

    assert answer.status_code == 400
    assert answer.json()["error"]
    unchanged(store)


def test_the_linked_duty_manager_approves_the_coverage_near_miss_from_slack(
    site: TestClient, store: Store, slack: FakeSlack
) -> None:
    answer = post(site, approve(OMAR))

    assert answer.status_code == 200
    assert stored(store) == ("exception_approved", [("COVERAGE", NEAR, DUTY)], ["approved"])
    by_slack = [e for e in trail(store) if e.payload.get("via") == "slack"]
    assert by_slack
    assert {(e.actor, e.payload["credential"]) for e in by_slack} == {(DUTY, "slack user U0OMAR")}
    assert any("approved in the leadership channel" in json.dumps(e.payload) for e in by_slack)
    [told] = slack.of("chat.postEphemeral")
    assert told.args["user"] == OMAR
    assert "You approved ESC-51007 request #1" in told.args["text"]
    assert "COVERAGE" in told.args["text"]
    assert "places the hold" in told.args["text"]
    [message] = slack.top_level()  # the request's message, updated in place after the answer
    assert "Approved by Omar Duty" in message["text"]
    assert not [b for b in message["blocks"] if b["type"] == "actions"]  # no buttons left to click
    assert message["metadata"]["event_payload"]["key"] == "channel:request:ESC-51007:1:post"


def test_a_linked_user_without_the_role_is_refused_in_private_and_nothing_changes(
    site: TestClient, store: Store, slack: FakeSlack
) -> None:
    answer = post(site, approve(DMITRI))

    assert answer.status_code == 200  # Slack is answered; the refusal is the ephemeral message
    [told] = slack.of("chat.postEphemeral")
    assert (told.args["user"], told.args["channel"]) == (DMITRI, "C0LEADERS")
    assert "may not waive COVERAGE" in told.args["text"]
    assert "Nothing was decided" in told.args["text"]
    unchanged(store)
    assert not slack.of("chat.update")


def test_a_slack_user_not_linked_is_told_so_and_nothing_changes(
    site: TestClient, store: Store, slack: FakeSlack
) -> None:
    answer = post(site, approve(STRANGER))

    assert answer.status_code == 200
    [told] = slack.of("chat.postEphemeral")
    assert told.args["user"] == STRANGER
    assert "not linked to a Readout user" in told.args["text"]
    assert "slack:" in told.args["text"]
    unchanged(store)
    assert not any(e.payload.get("via") == "slack" for e in trail(store))


def test_a_button_of_another_request_decides_nothing(
    site: TestClient, store: Store, slack: FakeSlack
) -> None:
    post(site, approve(OMAR, request=7))

    [told] = slack.of("chat.postEphemeral")
    assert "no exception request #7" in told.args["text"]
    unchanged(store)


def test_reject_opens_the_reason_modal_on_slack(site: TestClient, store: Store, slack: FakeSlack) -> None:
    answer = post(site, click("readout_reject", {"escalation": FREEZE_ID, "request": 1}, OMAR))

    assert answer.status_code == 200
    [opened] = slack.of("views.open")
    assert opened.args["trigger_id"] == "13345224609.738474920.8088930838d88f008e0"
    view = opened.args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == "readout_reject_reason"
    assert json.loads(view["private_metadata"]) == {"escalation": FREEZE_ID, "request": 1}
    [field] = [b for b in view["blocks"] if b["type"] == "input"]
    assert (field["block_id"], field["element"]["action_id"]) == ("reason", "reason")
    assert field["element"]["type"] == "plain_text_input"
    unchanged(store)


def test_reject_by_a_slack_user_not_linked_opens_no_modal(site: TestClient, slack: FakeSlack) -> None:
    post(site, click("readout_reject", {"escalation": FREEZE_ID, "request": 1}, STRANGER))

    assert not slack.of("views.open")
    assert "not linked" in slack.of("chat.postEphemeral")[0].args["text"]


def test_the_modal_submission_rejects_with_the_typed_reason(site: TestClient, store: Store) -> None:
    answer = post(site, submit_reason(OMAR, "  Coverage cannot be moved during the freeze  "))

    assert answer.status_code == 200
    assert answer.content == b""  # closes the modal
    _, waivers, decisions = stored(store)
    assert (waivers, decisions[0]) == ([], "rejected")
    reason = "Coverage cannot be moved during the freeze"
    [rejected] = [e for e in trail(store) if e.payload.get("reason") == reason]
    assert (rejected.actor, rejected.payload["via"]) == (DUTY, "slack")


@pytest.mark.parametrize(
    ("slack_user", "reason", "says"),
    [(OMAR, "   ", "Write why"), (STRANGER, "no", "not linked"), (DMITRI, "no", "Refused")],
)
def test_a_refused_submission_keeps_the_modal_open_saying_why(
    site: TestClient, store: Store, slack_user: str, reason: str, says: str
) -> None:
    answer = post(site, submit_reason(slack_user, reason))

    assert answer.status_code == 200
    assert answer.json()["response_action"] == "errors"
    assert says in answer.json()["errors"]["reason"]
    unchanged(store)


def test_without_slack_settings_there_is_no_interactions_endpoint(deps: Deps, store: Store) -> None:
    environ = {"READOUT_DATABASE_URL": str(store.url)}
    app = create_app(
        deps, readiness=health.store_readiness(bootstrap.settings(environ), environ), environ=environ
    )
    with TestClient(app) as client:
        assert client.post(INTERACTIONS, content=b"payload={}").status_code in (404, 405)
