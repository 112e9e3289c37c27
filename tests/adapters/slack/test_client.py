"""The Slack adapter against the fake Slack: what it posts and updates, where, and how each failure comes back
to the outbox (a passing failure is retried, Retry-After honoured; a refusal is final)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from readout.adapters.slack import SlackChannel, SlackRefused
from readout.config import SlackSettings
from readout.domain.channel import ChannelMessage
from readout.errors import Conflict, NotFound, RateLimited, SourceUnavailable
from tests.support.fake_slack import FakeSlack

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "*ESC-51007* needs a waiver"}}
MESSAGE = ChannelMessage("ESC-51007 needs a waiver", (SECTION,))


def channel(slack: FakeSlack, *, token: str | None = None, name: str | None = None) -> SlackChannel:
    return SlackChannel(
        SlackSettings(slack.url, token or slack.token, "signing-secret", name or slack.channel), timeout=2
    )


def test_post_puts_the_message_in_the_channel_with_its_key_in_the_metadata(slack: FakeSlack) -> None:
    ts = channel(slack).post(MESSAGE, key="post:request:ESC-51007:1")

    [posted] = slack.top_level()
    assert posted["ts"] == ts
    assert posted["text"] == "ESC-51007 needs a waiver"
    assert posted["blocks"] == [SECTION]
    assert posted["metadata"] == {
        "event_type": "readout_message",
        "event_payload": {"key": "post:request:ESC-51007:1"},
    }
    [call] = slack.of("chat.postMessage")
    assert call.args["channel"] == slack.channel
    assert call.authorization == f"Bearer {slack.token}"


def test_a_reply_goes_in_the_thread_and_an_update_replaces_the_message_in_place(slack: FakeSlack) -> None:
    slack_channel = channel(slack)
    parent = slack_channel.post(MESSAGE, key="first")
    reply = slack_channel.post(ChannelMessage("Holds placed"), key="reply", thread=parent)
    slack_channel.update(parent, ChannelMessage("Approved by Omar Haddad", ()))

    assert [m["ts"] for m in slack.top_level()] == [parent]
    assert [m["ts"] for m in slack.thread(parent)] == [reply]
    assert slack.messages[parent]["text"] == "Approved by Omar Haddad"
    assert slack.messages[parent]["blocks"] == []
    [update] = slack.of("chat.update")
    assert (update.args["channel"], update.args["ts"]) == (slack.channel, parent)


def test_429_is_rate_limited_with_the_retry_after_slack_asked_for(slack: FakeSlack) -> None:
    slack.fail_next(1, 429, retry_after=42)

    with pytest.raises(RateLimited) as raised:
        channel(slack).post(MESSAGE, key="k")

    assert raised.value.retry_after == 42
    assert not slack.top_level()  # nothing was posted
    assert len(slack.of("chat.postMessage")) == 1  # slack-sdk did not retry on its own: the outbox will


def test_500_and_an_unreachable_slack_are_passing_failures_not_refusals(slack: FakeSlack) -> None:
    slack.fail_next(1, 500)
    with pytest.raises(SourceUnavailable) as raised:
        channel(slack).update("1700000000.000001", MESSAGE)
    assert not isinstance(raised.value, RateLimited)
    assert not isinstance(raised.value, Conflict | NotFound)

    gone = SlackChannel(SlackSettings("http://127.0.0.1:9/api/", "xoxb-x", "s", "C1"), timeout=1)
    with pytest.raises(SourceUnavailable):
        gone.post(MESSAGE, key="k")


def test_a_bad_token_is_a_final_refusal_that_never_shows_the_token(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bad = channel(slack, token="xoxb-wrong-secret-token")

    with pytest.raises(SlackRefused) as raised:
        bad.post(MESSAGE, key="k")

    assert isinstance(raised.value, Conflict)  # final for the outbox: a dead letter, not retried
    assert raised.value.error == "invalid_auth"
    assert "xoxb-wrong-secret-token" not in str(raised.value)
    assert "xoxb-wrong-secret-token" not in repr(bad)
    assert "xoxb-wrong-secret-token" not in caplog.text
    assert not slack.top_level()


def test_an_unknown_channel_and_a_lost_message_are_final(slack: FakeSlack) -> None:
    with pytest.raises(SlackRefused, match="channel_not_found"):
        channel(slack, name="C0NOWHERE").post(MESSAGE, key="k")
    with pytest.raises(SlackRefused, match="message_not_found"):
        channel(slack).update("1700000000.424242", MESSAGE)


def test_a_retry_finds_the_earlier_post_by_its_key_and_does_not_post_again(slack: FakeSlack) -> None:
    slack_channel = channel(slack)
    slack_channel.post(ChannelMessage("another request"), key="post:other")
    slack.lose_answers(1)  # Slack posts it, but the answer is lost: the outcome is unknown
    with pytest.raises(SourceUnavailable):
        slack_channel.post(MESSAGE, key="post:request:ESC-51007:1")
    assert len(slack.top_level()) == 2

    ts = slack_channel.post(MESSAGE, key="post:request:ESC-51007:1", retry=True)

    assert len(slack.top_level()) == 2  # no duplicate
    assert slack.messages[ts]["text"] == "ESC-51007 needs a waiver"
    [history] = slack.of("conversations.history")
    assert str(history.args["include_all_metadata"]).lower() in ("1", "true")


def test_a_retry_posts_when_no_earlier_attempt_got_through(slack: FakeSlack) -> None:
    slack_channel = channel(slack)
    slack_channel.post(ChannelMessage("another request"), key="post:other")

    ts = slack_channel.post(MESSAGE, key="post:mine", retry=True)

    assert [m["ts"] for m in slack.top_level()][-1] == ts
    assert len(slack.top_level()) == 2


def test_a_retried_reply_is_looked_for_in_its_thread(slack: FakeSlack) -> None:
    slack_channel = channel(slack)
    parent = slack_channel.post(MESSAGE, key="first")
    slack.lose_answers(1)
    with pytest.raises(SourceUnavailable):
        slack_channel.post(ChannelMessage("Holds placed"), key="holds", thread=parent)

    reply = slack_channel.post(ChannelMessage("Holds placed"), key="holds", thread=parent, retry=True)

    assert [m["ts"] for m in slack.thread(parent)] == [reply]
    assert slack.of("conversations.replies")[0].args["ts"] == parent


def test_views_open_and_an_ephemeral_message_reach_slack(slack: FakeSlack) -> None:
    slack_channel = channel(slack)
    slack_channel.views_open("trigger-1", {"type": "modal", "callback_id": "readout_reject_reason"})
    slack_channel.post_ephemeral(slack.channel, "U0OMAR", "You may not approve this request.")

    [opened] = slack.of("views.open")
    assert opened.args["trigger_id"] == "trigger-1"
    [ephemeral] = slack.of("chat.postEphemeral")
    assert (ephemeral.args["user"], ephemeral.args["text"]) == ("U0OMAR", "You may not approve this request.")


def test_the_workflow_gets_a_slack_channel_only_when_readout_slack_is_set(
    tmp_path: Path, slack: FakeSlack
) -> None:
    from readout import bootstrap

    store = {"READOUT_DATABASE_URL": f"sqlite:///{tmp_path / 'readout.db'}"}
    configured = {
        **store,
        "READOUT_SLACK_API_URL": slack.url,
        "READOUT_SLACK_BOT_TOKEN": slack.token,
        "READOUT_SLACK_SIGNING_SECRET": "s",
        "READOUT_SLACK_CHANNEL": slack.channel,
    }

    assert bootstrap.workflow_deps(None, store).channel is None
    found = bootstrap.workflow_deps(None, configured).channel
    assert isinstance(found, SlackChannel)
    found.post(MESSAGE, key="k")
    assert len(slack.top_level()) == 1
