"""The leadership channel tells the Initech freeze's story: the request message, updated in place when the duty
manager approves, then holds, review and confirmation in its thread. Written as outbox intents with each
decision, delivered by ``carry_out``, never twice; nothing at all without a channel."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from readout.adapters.memory.channel import MemoryChannel
from readout.adapters.memory.hold_calendar import MemoryHoldCalendar
from readout.adapters.slack import SlackChannel
from readout.config import SlackSettings
from readout.domain.channel import ChannelMessage
from readout.domain.effects import EffectKind, EffectStatus
from readout.errors import SourceUnavailable
from readout.services.confirmation import cancel, confirm, review
from readout.services.context import Deps
from readout.services.effects import carry_out
from readout.services.escalations import plan_escalation
from readout.services.exceptions import approve, reject
from readout.services.holding import hold_slots, release_holds
from tests.services.flows import DUTY, FREEZE, FREEZE_ID, GLOBEX, GLOBEX_ID, PSM, Clock, Desk, u
from tests.support.fake_slack import fake_slack

WAIVED = u(2026, 11, 24, 11)  # the freeze's first near miss: breaks COVERAGE only
SUMMARY = "Payment file transfer stalled"  # the case file's internal summary


def _all_text(message: ChannelMessage) -> str:
    return message.text + json.dumps(message.blocks)


def _buttons(message: ChannelMessage) -> list[dict[str, Any]]:
    return [e for b in message.blocks if b["type"] == "actions" for e in b["elements"]]


def _channel_effects(desk: Desk) -> list[Any]:
    with desk.deps.uow() as uow:
        return [
            e
            for e in uow.effects.of(FREEZE_ID)
            if e.kind in (EffectKind.CHANNEL_POST, EffectKind.CHANNEL_UPDATE)
        ]


@pytest.fixture
def channel() -> MemoryChannel:
    return MemoryChannel()


@pytest.fixture
def announced(
    deps: Deps, clock: Clock, hold_calendar: MemoryHoldCalendar, tmp_path: Path, channel: MemoryChannel
) -> Desk:
    """A desk whose deps have a leadership channel."""
    return Desk(replace(deps, channel=channel), clock, hold_calendar, tmp_path)


def test_opening_the_freeze_posts_one_request_message_with_causes_deciders_and_near_misses(
    announced: Desk, channel: MemoryChannel
) -> None:
    announced.open(FREEZE)
    assert channel.posted == []  # written with the decision, posted by the runner

    carry_out(announced.deps, FREEZE_ID)

    (message,) = channel.posted
    assert message.thread is None
    text = _all_text(message.message)
    assert "Exception request #1: ESC-51007 (Initech Bank)" in message.message.text
    assert "end of Mon 30 Nov (Berlin) = Mon 30 Nov 23:00 UTC" in text
    assert "COVERAGE: the duty manager: Omar Duty (omar)" in text
    assert "CAB_BLACKOUT (cannot be waived): support leadership: Lena Leadership (lena)" in text
    assert "Readout, when Dmitri Escalations's plan found no compliant slot" in text
    # The first near miss in Berlin, UTC, and the fix owner's own time in Kolkata.
    assert (
        "Tue 24 Nov 12:00-13:00 Berlin (11:00-12:00 UTC); Ravi Kumar (fix owner): 16:30-17:30 Kolkata" in text
    )
    approves = [b for b in _buttons(message.message) if b["action_id"] == "readout_approve"]
    assert 1 <= len(approves) <= 5
    assert json.loads(approves[0]["value"]) == {
        "escalation": FREEZE_ID,
        "request": 1,
        "slot": "2026-11-24T11:00:00Z",
    }
    assert all("confirm" in b for b in approves)
    assert {b["action_id"] for b in _buttons(message.message)} >= {"readout_reject", "readout_open"}
    assert SUMMARY not in text


def test_the_duty_managers_approval_updates_the_message_in_place(
    announced: Desk, channel: MemoryChannel
) -> None:
    announced.open(FREEZE)
    carry_out(announced.deps, FREEZE_ID)
    announced.clock.advance(minutes=30)

    approve(announced.deps, FREEZE_ID, DUTY, WAIVED, "duty engineer stays on")
    carry_out(announced.deps, FREEZE_ID)

    (message,) = channel.posted  # the same message, not a new one
    assert message.updates == 1
    assert not [
        b for b in _buttons(message.message) if b["action_id"] in ("readout_approve", "readout_reject")
    ]
    assert (
        "Approved by Omar Duty at Mon 23 Nov 12:30 Berlin (11:30 UTC): the slot Tue 24 Nov 12:00-13:00 Berlin "
        "(11:00-12:00 UTC); Ravi Kumar (fix owner): 16:30-17:30 Kolkata with COVERAGE waived"
    ) in _all_text(message.message)


def test_hold_review_and_confirmation_reply_in_the_requests_thread_in_order(
    announced: Desk, channel: MemoryChannel
) -> None:
    announced.open(FREEZE)
    approve(announced.deps, FREEZE_ID, DUTY, WAIVED, "approved")

    hold_slots(announced.deps, FREEZE_ID, PSM)
    seen = review(announced.deps, FREEZE_ID, PSM, WAIVED)
    assert confirm(announced.deps, FREEZE_ID, PSM, seen.packet.digest).confirmed

    (top,) = channel.top_level()
    replies = [p.message.text for p in channel.thread(top.ref)]
    assert len(replies) == 3, replies
    assert replies[0].startswith("1 hold(s) placed by Paula Program")
    assert "Tue 24 Nov 12:00-13:00 Berlin (11:00-12:00 UTC)" in replies[0]
    assert replies[1].startswith("Paula Program reviewed the invite packet for Tue 24 Nov 12:00-13:00 Berlin")
    assert replies[2].startswith("Confirmed in Readout by Paula Program: Tue 24 Nov 12:00-13:00 Berlin")
    assert "invitation to the" in replies[2]
    assert "NO INVITATION" not in replies[2]
    assert "Approved by Omar Duty" in top.message.text
    assert not any(SUMMARY in _all_text(p.message) for p in channel.posted)


def test_confirming_without_an_invite_sender_says_no_invitation_was_sent_in_the_thread(
    announced: Desk, channel: MemoryChannel
) -> None:
    announced.deps = replace(announced.deps, invites=None)
    announced.open(FREEZE)
    approve(announced.deps, FREEZE_ID, DUTY, WAIVED, "approved")
    hold_slots(announced.deps, FREEZE_ID, PSM)
    seen = review(announced.deps, FREEZE_ID, PSM, WAIVED)

    confirm(announced.deps, FREEZE_ID, PSM, seen.packet.digest)

    (top,) = channel.top_level()
    last = channel.thread(top.ref)[-1].message.text
    assert "NO INVITATION WAS SENT: no SMTP relay is configured (READOUT_SMTP_HOST)." in last


def test_releasing_and_cancelling_reply_in_the_thread(announced: Desk, channel: MemoryChannel) -> None:
    announced.open(FREEZE)
    approve(announced.deps, FREEZE_ID, DUTY, WAIVED, "approved")
    hold_slots(announced.deps, FREEZE_ID, PSM)

    release_holds(announced.deps, FREEZE_ID, PSM, reason="customer asked for another week")
    cancel(announced.deps, FREEZE_ID, PSM, "customer withdrew the request for a readout")

    (top,) = channel.top_level()
    replies = [p.message.text for p in channel.thread(top.ref)]
    assert replies[1].startswith("1 hold(s) released by Paula Program")
    assert "(customer asked for another week)" in replies[1]
    assert replies[2].startswith("Cancelled by Paula Program")
    assert len(replies) == 3


def test_a_rejected_waiver_request_is_updated_and_leaderships_request_is_a_new_message(
    announced: Desk, channel: MemoryChannel
) -> None:
    announced.open(FREEZE)
    reject(announced.deps, FREEZE_ID, DUTY, "nobody can cover that morning")
    carry_out(announced.deps, FREEZE_ID)

    first, second = channel.top_level()
    assert (
        "Rejected by Omar Duty at Mon 23 Nov 12:00 Berlin (11:00 UTC): nobody can cover" in first.message.text
    )
    assert "Exception request #2" in second.message.text
    assert "support leadership: Lena Leadership (lena)" in _all_text(second.message)


def test_with_no_channel_configured_nothing_is_written(desk: Desk) -> None:
    desk.open(FREEZE)
    approve(desk.deps, FREEZE_ID, DUTY, WAIVED, "approved")
    hold_slots(desk.deps, FREEZE_ID, PSM)

    assert _channel_effects(desk) == []


def test_a_ready_case_has_no_request_message_and_no_thread(announced: Desk, channel: MemoryChannel) -> None:
    announced.open(GLOBEX)
    hold_slots(announced.deps, GLOBEX_ID, PSM)

    assert channel.posted == []


class _LostAnswer(MemoryChannel):
    """Posts the first message, then fails as if the answer had been lost on the way back."""

    def post(
        self, message: ChannelMessage, *, key: str, thread: str | None = None, retry: bool = False
    ) -> str:
        ref = super().post(message, key=key, thread=thread, retry=retry)
        if len(self.calls) == 1:
            raise SourceUnavailable("the leadership channel", "connection reset after sending")
        return ref


def test_a_retried_delivery_posts_nothing_twice(deps: Deps, clock: Clock, tmp_path: Path) -> None:
    channel = _LostAnswer()
    desk = Desk(replace(deps, channel=channel), clock, MemoryHoldCalendar(), tmp_path)
    desk.open(FREEZE)

    carry_out(desk.deps, FREEZE_ID)  # posted, but the runner did not learn it: retried later
    (effect,) = _channel_effects(desk)
    assert effect.status is EffectStatus.PENDING
    clock.advance(minutes=5)
    carry_out(desk.deps, FREEZE_ID)
    carry_out(desk.deps, FREEZE_ID)

    assert len(channel.posted) == 1
    (effect,) = _channel_effects(desk)
    assert effect.status is EffectStatus.DONE
    assert effect.result == {"ref": channel.posted[0].ref}


def test_a_post_waits_while_the_channel_is_down_and_an_update_waits_for_its_post(
    announced: Desk, channel: MemoryChannel
) -> None:
    announced.open(FREEZE)
    approve(announced.deps, FREEZE_ID, DUTY, WAIVED, "approved")
    channel.fail_with = SourceUnavailable("the leadership channel", "503")

    carry_out(announced.deps, FREEZE_ID)  # the post fails; the update cannot go before it

    assert channel.posted == []
    announced.clock.advance(minutes=5)
    carry_out(announced.deps, FREEZE_ID)
    (message,) = channel.posted
    assert "Approved by Omar Duty" in message.message.text


def test_a_replan_that_releases_a_hold_tells_the_old_thread_before_posting_the_new_request(
    announced: Desk, channel: MemoryChannel
) -> None:
    announced.open(FREEZE)
    approve(announced.deps, FREEZE_ID, DUTY, WAIVED, "approved")
    hold_slots(announced.deps, FREEZE_ID, PSM)
    announced.clock.advance(minutes=1)  # the waived slot is now less than 24 hours away: no longer compliant

    plan_escalation(announced.deps, FREEZE_ID, PSM, "calendars refreshed")

    first, second = channel.top_level()
    replies = [p.message.text for p in channel.thread(first.ref)]
    assert replies[-1].startswith("1 hold(s) released by Paula Program")
    assert "(slot no longer compliant)" in replies[-1]
    assert "Exception request #2" in second.message.text
    assert channel.posted.index(second) > channel.posted.index(channel.thread(first.ref)[-1])


def test_on_the_fake_slack_the_thread_tells_the_story_and_a_lost_answer_posts_nothing_twice(
    deps: Deps, clock: Clock, tmp_path: Path
) -> None:
    for slack in fake_slack():
        settings = SlackSettings(slack.url, slack.token, "not-used-here", slack.channel)
        desk = Desk(replace(deps, channel=SlackChannel(settings)), clock, MemoryHoldCalendar(), tmp_path)
        desk.open(FREEZE)
        slack.lose_answers(1)  # the request is posted, but Readout does not learn it: retried later
        carry_out(desk.deps, FREEZE_ID)
        approve(desk.deps, FREEZE_ID, DUTY, WAIVED, "approved")
        hold_slots(desk.deps, FREEZE_ID, PSM)  # what follows waits for the request's post to be known
        seen = review(desk.deps, FREEZE_ID, PSM, WAIVED)
        assert confirm(desk.deps, FREEZE_ID, PSM, seen.packet.digest).confirmed
        clock.advance(minutes=5)
        carry_out(desk.deps, FREEZE_ID)

        (top,) = slack.top_level()  # the retry found the lost post by its key instead of posting it again
        assert slack.of("conversations.history")
        assert len(slack.of("chat.postMessage")) == 4  # the request and three replies, each once
        assert top["text"].startswith("Exception request #1: ESC-51007 (Initech Bank): Approved by Omar Duty")
        assert not [b for b in top["blocks"] if b["type"] == "actions"]
        replies = [m["text"] for m in slack.thread(top["ts"])]
        assert [r.split(" ", 3)[:3] for r in replies] == [
            ["1", "hold(s)", "placed"],
            ["Paula", "Program", "reviewed"],
            ["Confirmed", "in", "Readout"],
        ]
        assert not any(SUMMARY in json.dumps(m) for m in slack.messages.values())
