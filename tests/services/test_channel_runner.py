"""The effect runner carries leadership channel messages out after the decision (services/effects.py
``_to_channel``): an in-place update or a thread reply waits for its topic's first post; a rate limit waits
as long as asked; a retry of a post whose outcome is unknown says so to the channel."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from readout.domain.channel import ChannelMessage, request_topic
from readout.domain.effects import Effect, EffectKind, EffectStatus
from readout.errors import RateLimited
from readout.services.effects import _add, carry_out
from tests.services.flows import GLOBEX, GLOBEX_ID, Desk

TOPIC = request_topic(GLOBEX_ID, 1)


@dataclass
class FakeChannel:
    """Records what it was asked; ``limited`` answers that many posts with a rate limit first."""

    posts: list[tuple[str, str | None, bool]] = field(default_factory=list)  # (text, thread, retry)
    updates: list[tuple[str, str]] = field(default_factory=list)  # (ref, text)
    limited: int = 0

    def post(
        self, message: ChannelMessage, *, key: str, thread: str | None = None, retry: bool = False
    ) -> str:
        if self.limited:
            self.limited -= 1
            raise RateLimited("slack", "rate limited", retry_after=300)
        self.posts.append((message.text, thread, retry))
        return f"ts-{len(self.posts)}"

    def update(self, ref: str, message: ChannelMessage) -> None:
        self.updates.append((ref, message.text))


def _write(desk: Desk, kind: EffectKind, key: str, **payload: Any) -> Effect:
    with desk.deps.uow() as uow:
        effect = _add(uow, GLOBEX_ID, kind, key, payload, desk.clock())
        uow.commit()
    return effect


def _message(text: str) -> dict[str, Any]:
    return ChannelMessage(text).as_payload()


def _effect(desk: Desk, effect_id: int) -> Effect:
    with desk.deps.uow() as uow:
        found = uow.effects.get(effect_id)
    assert found is not None
    return found


def test_an_update_and_a_reply_wait_for_the_first_post_then_follow_it(desk: Desk) -> None:
    desk.open(GLOBEX)
    channel = FakeChannel()
    desk.deps = replace(desk.deps, channel=channel)
    update = _write(desk, EffectKind.CHANNEL_UPDATE, "u", topic=TOPIC, message=_message("Approved by Omar"))
    reply = _write(desk, EffectKind.CHANNEL_POST, "r", topic=TOPIC, thread=TOPIC, message=_message("Held"))
    carry_out(desk.deps, GLOBEX_ID)
    assert channel.posts == []
    assert channel.updates == []
    assert "not posted yet" in (_effect(desk, update.id).last_error or "")
    assert _effect(desk, reply.id).status is EffectStatus.PENDING

    first = _write(desk, EffectKind.CHANNEL_POST, "p", topic=TOPIC, thread=None, message=_message("Request"))
    desk.clock.advance(minutes=5)
    carry_out(desk.deps, GLOBEX_ID)  # the post goes first; the others wait for it without an attempt
    assert _effect(desk, update.id).attempts == 1  # the one made before the post was even written
    desk.clock.advance(minutes=5)
    carry_out(desk.deps, GLOBEX_ID)
    assert _effect(desk, first.id).result == {"ref": "ts-1"}
    assert channel.posts[0] == ("Request", None, False)
    assert ("Held", "ts-1", True) in channel.posts  # in the thread of the first post; tried before
    assert channel.updates == [("ts-1", "Approved by Omar")]  # in place
    assert {_effect(desk, e.id).status for e in (first, update, reply)} == {EffectStatus.DONE}


def test_a_rate_limited_post_waits_as_long_as_asked_and_a_retry_says_it_is_one(desk: Desk) -> None:
    desk.open(GLOBEX)
    channel = FakeChannel(limited=1)
    desk.deps = replace(desk.deps, channel=channel)
    post = _write(desk, EffectKind.CHANNEL_POST, "p", topic=TOPIC, thread=None, message=_message("Request"))
    carry_out(desk.deps, GLOBEX_ID)
    waiting = _effect(desk, post.id)
    assert waiting.status is EffectStatus.PENDING
    assert waiting.next_at == desk.clock() + timedelta(seconds=300)
    desk.clock.advance(seconds=299)
    carry_out(desk.deps, GLOBEX_ID)
    assert channel.posts == []
    desk.clock.advance(seconds=2)
    carry_out(desk.deps, GLOBEX_ID)
    assert channel.posts == [("Request", None, True)]  # the second attempt may find the first one's message


def test_without_a_channel_a_message_waits_instead_of_being_dropped(desk: Desk) -> None:
    desk.open(GLOBEX)
    post = _write(desk, EffectKind.CHANNEL_POST, "p", topic=TOPIC, thread=None, message=_message("Request"))
    carry_out(desk.deps, GLOBEX_ID)
    waiting = _effect(desk, post.id)
    assert waiting.status is EffectStatus.PENDING
    assert "no channel is configured" in (waiting.last_error or "")


def test_status_says_a_channel_message_is_waiting_and_why(desk: Desk) -> None:
    from readout.services.queries import escalation_status
    from readout.services.views import effect_sentence

    desk.open(GLOBEX)
    _write(desk, EffectKind.CHANNEL_POST, "p", topic=TOPIC, thread=None, message=_message("Request"))
    carry_out(desk.deps, GLOBEX_ID)
    status = escalation_status(desk.deps, GLOBEX_ID)
    (waiting,) = [e for e in status.effects if e.kind is EffectKind.CHANNEL_POST]
    said = effect_sentence(waiting)
    assert said.startswith("Post a message to the leadership channel: not done yet, will be retried by")
    assert "no channel is configured" in said
    assert 1 in status.announced
