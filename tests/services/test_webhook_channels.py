"""The leadership channel on webhooks, delivered by the real effect runner and worker to a local receiver on
127.0.0.1 (memory, SQLite and PostgreSQL stores): the notify-only incoming webhook (Slack and Teams formats)
tells the Initech freeze's story without buttons, an update as a new message naming the one it updates; the
signed events webhook carries each message with a signature the receiver verifies with the shared secret;
429 waits as long as Retry-After asks, 5xx and timeouts are retried, another 4xx is a dead letter; with two
destinations a retry re-sends nothing that a destination cannot drop."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from readout.adapters.slack import SlackChannel
from readout.adapters.webhook import EventsWebhookChannel, FanOutChannel, IncomingWebhookChannel
from readout.adapters.webhook.slack_events import SlackWithEvents
from readout.config import ChannelWebhookSettings, EventsWebhookSettings, OutboundPolicy, SlackSettings
from readout.domain.effects import Effect, EffectKind, EffectStatus
from readout.services.effects import carry_out
from readout.services.exceptions import approve
from readout.services.holding import hold_slots
from readout.services.ports import Channel
from readout.services.queries import escalation_status
from readout.services.views import effect_view
from readout.services.worker import run_pass
from tests.services.flows import DUTY, EM, FREEZE, FREEZE_ID, Desk, u
from tests.support.fake_slack import FakeSlack, fake_slack
from tests.support.webhook_receiver import Received, WebhookReceiver, webhook_receiver

WAIVED = u(2026, 11, 24, 11)  # the freeze's first near miss: breaks COVERAGE only
SUMMARY = "Payment file transfer stalled"  # the case file's internal summary: never leaves
SECRET = "s3cret-for-the-events-webhook-0123456789"
LOCAL = OutboundPolicy.parse("127.0.0.1")
POST_KEY = f"channel:request:{FREEZE_ID}:1:post"
LINK = f"http://127.0.0.1:8000/approvals/{FREEZE_ID}/1"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    yield from webhook_receiver()


@pytest.fixture
def second() -> Iterator[WebhookReceiver]:
    yield from webhook_receiver("/events")


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    yield from fake_slack()


def incoming(receiver: WebhookReceiver, form: str = "slack", timeout: float = 2.0) -> IncomingWebhookChannel:
    return IncomingWebhookChannel(ChannelWebhookSettings(receiver.url, form), LOCAL, timeout)


def events(receiver: WebhookReceiver) -> EventsWebhookChannel:
    return EventsWebhookChannel(EventsWebhookSettings(receiver.url, SECRET), LOCAL, 2.0)


def _with(desk: Desk, channel: Channel) -> Desk:
    desk.deps = replace(desk.deps, channel=channel)
    return desk


def _channel_effects(desk: Desk) -> list[Effect]:
    with desk.deps.uow() as uow:
        return [
            e
            for e in uow.effects.of(FREEZE_ID)
            if e.kind in (EffectKind.CHANNEL_POST, EffectKind.CHANNEL_UPDATE)
        ]


def _told(receiver: WebhookReceiver, *, delivered: bool = False) -> list[Received]:
    """What reached the receiver, leaving out the worker's own reminders (an at-risk reminder is due as
    soon as a pass runs on the freeze)."""
    found = receiver.delivered() if delivered else receiver.received
    return [r for r in found if b"remind" not in r.body.lower()]


def _post(desk: Desk) -> Effect:
    """The request's first post."""
    [found] = [e for e in _channel_effects(desk) if e.key == POST_KEY]
    return found


def _verified(delivery: Any, secret: str = SECRET) -> dict[str, Any]:
    """The receiver's check (docs/leadership-channel.md): the signature over TIMESTAMP.RAW_BODY."""
    stamp = delivery.headers["x-readout-timestamp"]
    expected = hmac.new(secret.encode(), stamp.encode() + b"." + delivery.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(delivery.headers["x-readout-signature"], "sha256=" + expected)
    body: dict[str, Any] = json.loads(delivery.body)
    assert delivery.headers["x-readout-delivery"] == body["id"]
    return body


def _everything(receiver: WebhookReceiver) -> str:
    return "\n".join(r.body.decode() for r in receiver.received)


def test_the_incoming_webhook_tells_the_freeze_without_buttons_and_posts_updates_as_new_messages(
    desk: Desk, receiver: WebhookReceiver
) -> None:
    _with(desk, incoming(receiver)).open(FREEZE)
    carry_out(desk.deps, FREEZE_ID)

    [posted] = receiver.delivered()
    payload = posted.json()
    assert posted.headers["content-type"].startswith("application/json")
    assert payload["text"].startswith(
        f"Exception request #1: {FREEZE_ID} (Initech Bank): a decision is needed"
    )
    assert payload["text"].endswith(f"\nDecide in Readout: {LINK}")
    assert all(b["type"] != "actions" for b in payload["blocks"])
    assert '"button"' not in posted.body.decode()
    assert "Approve option" not in posted.body.decode()
    assert payload["blocks"][-1]["text"]["text"] == f"Decide in Readout: <{LINK}|{LINK}>"
    assert any("Near misses" in b.get("text", {}).get("text", "") for b in payload["blocks"])
    post = _post(desk)
    assert (post.status, post.result) == (EffectStatus.DONE, {"ref": POST_KEY})  # no id: the key is the ref

    approve(desk.deps, FREEZE_ID, DUTY, WAIVED, "duty engineer stays on")
    carry_out(desk.deps, FREEZE_ID)
    update = receiver.delivered()[1].json()
    assert update["text"].startswith(f"Update to exception request #1 for {FREEZE_ID}: Exception request #1")
    assert "Approved by Omar Duty at Mon 23 Nov" in update["text"]
    assert update["blocks"][0]["elements"][0]["text"] == f"Update to exception request #1 for {FREEZE_ID}"
    assert "Decide in Readout" not in update["text"]  # decided: nothing left to decide

    hold_slots(desk.deps, FREEZE_ID, EM)
    carry_out(desk.deps, FREEZE_ID)
    reply = receiver.delivered()[2].json()
    assert reply["text"].startswith(f"In reply to exception request #1 for {FREEZE_ID}: 1 hold(s) placed by")
    assert [e.status for e in _channel_effects(desk)] == [EffectStatus.DONE] * 3
    assert len(receiver.received) == 3  # each once
    assert SUMMARY not in _everything(receiver)


def test_the_teams_format_is_one_adaptive_card_with_the_link(desk: Desk, receiver: WebhookReceiver) -> None:
    _with(desk, incoming(receiver, "teams")).open(FREEZE)
    carry_out(desk.deps, FREEZE_ID)

    payload = receiver.delivered()[0].json()
    assert payload["type"] == "message"
    [attachment] = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    texts = [b["text"] for b in card["body"]]
    assert texts[0] == f"Exception request #1: {FREEZE_ID} (Initech Bank)"
    assert card["body"][0]["weight"] == "Bolder"
    assert any(t.startswith("**Escalation:** ESC-51007") for t in texts)
    assert texts[-1] == f"[Decide in Readout: {LINK}]({LINK})"
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open in Readout", "url": LINK}]
    assert "Approve option" not in receiver.received[0].body.decode()
    assert SUMMARY not in _everything(receiver)


def test_the_events_webhook_signs_each_message_and_names_what_an_update_replaces(
    desk: Desk, receiver: WebhookReceiver
) -> None:
    _with(desk, events(receiver)).open(FREEZE)
    carry_out(desk.deps, FREEZE_ID)
    approve(desk.deps, FREEZE_ID, DUTY, WAIVED, "duty engineer stays on")
    carry_out(desk.deps, FREEZE_ID)
    hold_slots(desk.deps, FREEZE_ID, EM)
    carry_out(desk.deps, FREEZE_ID)

    post, update, reply = (_verified(r) for r in receiver.delivered())
    assert set(post) == {"event", "id", "topic", "thread", "ref", "text", "sent_at"}
    assert (post["event"], post["id"], post["ref"], post["thread"]) == ("post", POST_KEY, POST_KEY, None)
    assert post["topic"] == f"request:{FREEZE_ID}:1"
    assert post["text"].startswith(f"Exception request #1: {FREEZE_ID} (Initech Bank)")
    assert (update["event"], update["thread"], update["topic"]) == ("update", POST_KEY, post["topic"])
    assert "Approved by Omar Duty" in update["text"]
    assert update["id"].startswith(f"update:{POST_KEY}:")
    assert (reply["event"], reply["thread"], reply["topic"]) == ("reply", POST_KEY, post["topic"])
    assert reply["id"].startswith(f"channel:request:{FREEZE_ID}:1:held:")
    assert post["sent_at"].endswith("Z")
    assert SUMMARY not in _everything(receiver)

    forged = replace(receiver.received[0], body=receiver.received[0].body.replace(b"Initech", b"Inetech"))
    with pytest.raises(AssertionError):
        _verified(forged)  # a changed body does not verify
    with pytest.raises(AssertionError):
        _verified(receiver.received[0], secret="another-secret-another-secret-0000")


def test_a_429_waits_as_long_as_retry_after_asks(desk: Desk, receiver: WebhookReceiver) -> None:
    receiver.answer_next(429, headers={"Retry-After": "600"})
    _with(desk, incoming(receiver)).open(FREEZE)
    run_pass(desk.deps)

    post = _post(desk)
    assert (post.status, post.attempts) == (EffectStatus.PENDING, 1)
    assert post.next_at == desk.clock() + timedelta(seconds=600)
    assert "HTTP 429: rate limited, retry after 600 s" in (post.last_error or "")
    desk.clock.advance(seconds=599)
    run_pass(desk.deps)
    assert len(_told(receiver)) == 1
    desk.clock.advance(seconds=1)
    run_pass(desk.deps)
    assert _post(desk).status is EffectStatus.DONE
    assert len(_told(receiver, delivered=True)) == 1


def test_a_5xx_or_a_timeout_is_retried_and_the_retry_carries_the_same_delivery_id(
    desk: Desk, receiver: WebhookReceiver
) -> None:
    receiver.answer_next(503)
    slow = EventsWebhookChannel(EventsWebhookSettings(receiver.url, SECRET), LOCAL, 0.3)
    _with(desk, slow).open(FREEZE)
    run_pass(desk.deps)
    post = _post(desk)
    assert (post.status, post.last_error) == (EffectStatus.PENDING, "the events webhook: HTTP 503")

    receiver.answer_next(200, delay=1.0)  # longer than the 0.3 s timeout
    desk.clock.advance(hours=1)
    run_pass(desk.deps)
    post = _post(desk)
    assert post.status is EffectStatus.PENDING
    assert "timed out after 0.3s" in (post.last_error or "")

    desk.clock.advance(hours=1)
    run_pass(desk.deps)
    assert _post(desk).status is EffectStatus.DONE
    ids = [r.headers["x-readout-delivery"] for r in _told(receiver)]
    assert ids == [POST_KEY] * 3  # the receiver keeps the first it took and drops the rest


def test_another_4xx_is_a_dead_letter_at_once(desk: Desk, receiver: WebhookReceiver) -> None:
    receiver.answer_next(404, body="no_service")
    _with(desk, incoming(receiver)).open(FREEZE)
    done = run_pass(desk.deps)

    assert (done.failed, done.dead_letters) == (1, [FREEZE_ID])
    post = _post(desk)
    assert (post.status, post.attempts) == (EffectStatus.FAILED, 1)
    [shown] = [effect_view(e) for e in escalation_status(desk.deps, FREEZE_ID).effects if e.id == post.id]
    assert "FAILED, not retried: a person must act" in shown["sentence"]
    assert "the channel webhook refused the message: HTTP 404 (no_service)" in shown["sentence"]
    assert receiver.url not in shown["sentence"]  # the URL is a secret
    desk.clock.advance(hours=2)
    run_pass(desk.deps)
    assert len(_told(receiver)) == 1  # never tried again


def test_the_outbound_policy_refuses_an_address_it_does_not_list(
    desk: Desk, receiver: WebhookReceiver
) -> None:
    strict = IncomingWebhookChannel(ChannelWebhookSettings(receiver.url), OutboundPolicy(), 2.0)
    _with(desk, strict).open(FREEZE)
    run_pass(desk.deps)
    post = _post(desk)
    assert post.status is EffectStatus.FAILED
    assert "not allowed by the outbound policy" in (post.last_error or "")
    assert receiver.received == []  # nothing was sent, not even the reminder


def test_webhook_and_events_a_failed_webhook_resends_only_the_event_receivers_drop(
    desk: Desk, receiver: WebhookReceiver, second: WebhookReceiver
) -> None:
    receiver.answer_next(502)  # the incoming webhook fails once
    _with(desk, FanOutChannel(incoming(receiver), events(second))).open(FREEZE)
    run_pass(desk.deps)
    assert [r.answered for r in _told(second)] == [200]  # the event went first
    desk.clock.advance(hours=1)
    run_pass(desk.deps)

    assert len(_told(receiver, delivered=True)) == 1
    assert [r.headers["x-readout-delivery"] for r in _told(second)] == [POST_KEY, POST_KEY]
    post = _post(desk)
    assert post.result == {"ref": POST_KEY}

    second.answer_next(500)  # now the events webhook fails: the channel webhook is not called at all
    approve(desk.deps, FREEZE_ID, DUTY, WAIVED, "duty engineer stays on")
    run_pass(desk.deps)
    assert len(_told(receiver)) == 2
    desk.clock.advance(hours=1)
    run_pass(desk.deps)
    told = _told(receiver)
    assert len(told) == 3  # the post (failed once, then taken), and the update once
    assert told[2].answered == 200
    assert told[2].json()["text"].startswith("Update to exception request #1")


@pytest.mark.parametrize("together", ["slack-with-events", "fan-out"])
def test_slack_and_events_the_event_names_slacks_message_and_a_retry_posts_nothing_twice(
    desk: Desk, slack: FakeSlack, second: WebhookReceiver, together: str
) -> None:
    settings = SlackSettings(slack.url, slack.token, "signing", slack.channel)
    both: Channel = (
        SlackWithEvents(settings, events(second))  # what bootstrap builds
        if together == "slack-with-events"
        else FanOutChannel(SlackChannel(settings), events(second))
    )
    second.answer_next(503)  # Slack took the post, the events webhook did not
    _with(desk, both).open(FREEZE)
    run_pass(desk.deps)
    desk.clock.advance(hours=1)
    run_pass(desk.deps)  # retried: Slack finds its message by the key instead of posting again

    [top] = slack.top_level()
    assert len([c for c in slack.of("chat.postMessage") if not c.args.get("thread_ts")]) == 1
    post = _verified(_told(second, delivered=True)[0])
    assert (post["event"], post["id"], post["ref"]) == ("post", POST_KEY, top["ts"])
    effect = _post(desk)
    assert effect.result == {"ref": top["ts"]}  # Slack's reference is the reference

    approve(desk.deps, FREEZE_ID, DUTY, WAIVED, "duty engineer stays on")
    run_pass(desk.deps)
    assert len(slack.of("chat.update")) == 1
    update = _verified(_told(second, delivered=True)[1])
    assert (update["event"], update["thread"]) == ("update", top["ts"])  # names Slack's message
