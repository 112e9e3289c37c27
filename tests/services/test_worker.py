"""The worker's pass (``services.worker``): delivers what is due, retries with backoff, gives up as a dead letter
after ``MAX_ATTEMPTS``, reaps expired holds, and counts only what it did (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from readout.domain.channel import ChannelMessage, request_topic
from readout.domain.effects import MAX_ATTEMPTS, EffectKind, EffectStatus, backoff
from readout.domain.holds import HoldStatus
from readout.domain.lifecycle import State
from readout.services.effects import _add
from readout.services.holding import hold_slots
from readout.services.queries import escalation_status
from readout.services.views import effect_view
from readout.services.worker import Pass, run, run_pass
from tests.services.flows import EM, GLOBEX, GLOBEX_ID, Desk

TTL = timedelta(hours=24)


class RecordingChannel:
    """A leadership channel that records posts and updates, and can be down."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, str | None, str]] = []  # key, thread ref, text
        self.updates: list[tuple[str, str]] = []
        self.down = False

    def post(
        self, message: ChannelMessage, *, key: str, thread: str | None = None, retry: bool = False
    ) -> str:
        from readout.errors import SourceUnavailable

        if self.down:
            raise SourceUnavailable("the leadership channel", "503 from Slack")
        self.posts.append((key, thread, message.text))
        return f"ts-{len(self.posts)}"

    def update(self, ref: str, message: ChannelMessage) -> None:
        self.updates.append((ref, message.text))


def _effects(desk: Desk) -> list[Any]:
    with desk.deps.uow() as uow:
        return uow.effects.of(GLOBEX_ID)


def test_one_pass_delivers_pending_effects_then_reaps_expired_holds(desk: Desk) -> None:
    desk.open(GLOBEX)
    desk.calendar.down.add("dana")  # her calendar does not answer when the holds are decided
    hold_slots(desk.deps, GLOBEX_ID, EM)
    assert desk.calendar.events == {}
    desk.calendar.down.clear()
    desk.clock.advance(seconds=backoff(1).total_seconds())

    placed = run_pass(desk.deps)

    assert (placed.delivered, placed.failed, placed.retrying, placed.reaped) == (3, 0, 0, 0)
    assert sorted(desk.calendar.events) == sorted(h.uid for h in desk.holds(GLOBEX_ID))
    assert {e.status for e in _effects(desk)} == {EffectStatus.DONE}
    assert desk.kinds(GLOBEX_ID)[-3:] == ["hold_on_calendar"] * 3

    desk.clock.advance(hours=24)  # past every hold's expiry

    reaped = run_pass(desk.deps)

    assert (reaped.delivered, reaped.failed, reaped.reaped) == (3, 0, 3)  # three holds taken off her calendar
    assert desk.calendar.events == {}
    assert {h.status for h in desk.holds(GLOBEX_ID)} == {HoldStatus.EXPIRED}
    assert desk.escalation(GLOBEX_ID).state is State.PLANNED
    assert reaped.line().endswith(
        "delivered 3, failed 0 (dead letters), retrying 0, reaped 3, reminded 0, re-planned 0"
    )

    again = run_pass(desk.deps)  # nothing left: a pass that finds nothing says so
    assert (again.delivered, again.failed, again.retrying, again.reaped) == (0, 0, 0, 0)


def test_a_failed_delivery_is_retried_with_backoff_then_becomes_a_dead_letter(desk: Desk) -> None:
    desk.open(GLOBEX)
    desk.calendar.down.add("dana")  # and stays down
    hold_slots(desk.deps, GLOBEX_ID, EM)  # attempt 1, made by the hold command itself
    waits = []
    for attempt in range(2, MAX_ATTEMPTS + 1):
        first = min(e.next_at for e in _effects(desk) if e.next_at is not None)
        waits.append(first - desk.clock())
        desk.clock.advance(seconds=(first - desk.clock()).total_seconds() - 1)
        early = run_pass(desk.deps)  # a second before its time: not tried
        assert (early.delivered, early.failed, early.retrying) == (0, 0, 0)
        desk.clock.advance(seconds=1)

        done = run_pass(desk.deps)

        assert {e.attempts for e in _effects(desk)} == {attempt}
        if attempt < MAX_ATTEMPTS:
            assert (done.delivered, done.failed, done.retrying) == (0, 0, 3)
            assert not done.settled

    assert waits == [backoff(n) for n in range(1, MAX_ATTEMPTS)]  # 30 s, doubling
    assert (done.delivered, done.failed, done.retrying) == (0, 3, 0)
    assert done.dead_letters == [GLOBEX_ID] * 3
    assert f"failed 3 (dead letters) ({GLOBEX_ID}: a person must act)" in done.line()
    assert {e.status for e in _effects(desk)} == {EffectStatus.FAILED}
    # What `readout status` shows of them: given up, a person must act, and why.
    shown = [effect_view(e) for e in escalation_status(desk.deps, GLOBEX_ID).effects]
    assert len(shown) == 3
    assert all(
        v["status"] == "failed" and "FAILED, not retried: a person must act" in v["sentence"] for v in shown
    )
    assert all("dana: does not answer" in v["sentence"] for v in shown)
    # The holds that never reached her calendar are ended, and the escalation goes back to planning.
    assert {h.status for h in desk.holds(GLOBEX_ID)} == {HoldStatus.RELEASED}
    assert desk.escalation(GLOBEX_ID).state is State.PLANNED
    assert desk.kinds(GLOBEX_ID).count("effect_failed") == 3

    desk.clock.advance(hours=2)
    assert run_pass(desk.deps).failed == 0  # a dead letter is not tried again


def test_channel_posts_and_updates_go_out_once_in_the_order_decided(desk: Desk) -> None:
    channel = RecordingChannel()
    desk.deps = deps = _with_channel(desk, channel)
    desk.open(GLOBEX)
    topic = request_topic(GLOBEX_ID, 1)
    now = desk.clock()
    with deps.uow() as uow:
        first = {
            "topic": topic,
            "thread": None,
            "message": ChannelMessage("Exception requested").as_payload(),
        }
        reply = {"topic": topic, "thread": topic, "message": ChannelMessage("Holds placed").as_payload()}
        update = {"topic": topic, "message": ChannelMessage("Approved by Omar").as_payload()}
        _add(uow, GLOBEX_ID, EffectKind.CHANNEL_POST, "channel:1:request", first, now)
        _add(uow, GLOBEX_ID, EffectKind.CHANNEL_POST, "channel:1:holds", reply, now)
        _add(uow, GLOBEX_ID, EffectKind.CHANNEL_UPDATE, "channel:1:approved", update, now)
        uow.commit()
    channel.down = True

    down = run_pass(deps)  # the first post fails; the reply and the update wait for it, not even tried

    assert (down.delivered, down.retrying) == (0, 1)
    with deps.uow() as uow:
        waiting = {e.key: e.attempts for e in uow.effects.of(GLOBEX_ID) if e.key.startswith("channel:1:")}
    assert waiting == {"channel:1:request": 1, "channel:1:holds": 0, "channel:1:approved": 0}
    assert channel.posts == []
    assert channel.updates == []
    channel.down = False
    desk.clock.advance(minutes=5)

    up = run_pass(deps)

    assert (up.delivered, up.failed, up.retrying) == (3, 0, 0)
    assert channel.posts == [
        ("channel:1:request", None, "Exception requested"),
        ("channel:1:holds", "ts-1", "Holds placed"),
    ]
    assert channel.updates == [("ts-1", "Approved by Omar")]
    desk.clock.advance(hours=1)
    assert run_pass(deps).delivered == 0  # delivered once


def test_the_loop_runs_its_rounds_and_leaves_reaping_to_whoever_has_the_turn(desk: Desk) -> None:
    desk.open(GLOBEX)
    hold_slots(desk.deps, GLOBEX_ID, EM)
    desk.clock.advance(hours=25)
    reported: list[Pass] = []
    slept: list[float] = []

    @contextmanager
    def taken() -> Any:  # another worker is reaping
        yield False

    last = run(desk.deps, reported.append, every=15, rounds=2, turn=taken, sleep=slept.append)

    assert [p.reaped for p in reported] == [None, None]
    assert "reaping left to another worker this pass" in reported[0].line()
    assert slept == [15]
    assert last is reported[-1]
    assert {h.status for h in desk.holds(GLOBEX_ID)} == {HoldStatus.LIVE}  # not reaped by this process
    assert run_pass(desk.deps).reaped == 3


def _with_channel(desk: Desk, channel: RecordingChannel) -> Any:
    from dataclasses import replace

    return replace(desk.deps, channel=channel)
