"""Reminders, on a clock the test moves: a hold about to expire is reminded once, within the lead time; an
unbooked readout whose deadline is at risk is reminded once a day; a confirmed or cancelled one never. They go
to the channel when there is one (in the request's thread if it has one), else by e-mail to the coordinators,
else nowhere."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from readout.adapters.memory.channel import MemoryChannel
from readout.adapters.memory.hold_calendar import MemoryHoldCalendar
from readout.config import ConfigError, ReminderSettings, reminder_settings
from readout.domain.effects import Effect, EffectKind
from readout.services.confirmation import cancel, confirm, review
from readout.services.context import Deps
from readout.services.effects import carry_out
from readout.services.exceptions import approve
from readout.services.holding import hold_slots
from readout.services.reminders import remind
from readout.services.views import effect_sentence
from readout.services.worker import run_pass
from tests.services.flows import DUTY, FREEZE, FREEZE_ID, GLOBEX, GLOBEX_ID, PSM, Clock, Desk, u

OPENED = u(2026, 11, 12, 15)  # Globex's case file now: Thu 12 Nov 09:00 Mexico City
EXPIRES = OPENED + timedelta(hours=24)  # holds.ttl_hours: 24
WAIVED = u(2026, 11, 24, 11)  # the freeze's first near miss
SUMMARY = "SSO"  # words of the Globex internal summary never reach a reminder (checked on the whole body)
SHARE_ONLY = ReminderSettings(at_risk_slots=0)  # at risk by the time left alone


@dataclass
class FakeNotifier:
    sent: list[tuple[tuple[str, ...], str, str]] = field(default_factory=list)

    def send(self, to: Sequence[str], subject: str, body: str, message_id: str) -> None:
        self.sent.append((tuple(to), subject, body))


@pytest.fixture
def notifier() -> FakeNotifier:
    return FakeNotifier()


@pytest.fixture
def mailed(
    deps: Deps, clock: Clock, hold_calendar: MemoryHoldCalendar, tmp_path: Path, notifier: FakeNotifier
) -> Desk:
    return Desk(replace(deps, notifier=notifier), clock, hold_calendar, tmp_path)


@pytest.fixture
def channel() -> MemoryChannel:
    return MemoryChannel()


@pytest.fixture
def announced(
    deps: Deps, clock: Clock, hold_calendar: MemoryHoldCalendar, tmp_path: Path, channel: MemoryChannel
) -> Desk:
    return Desk(replace(deps, channel=channel), clock, hold_calendar, tmp_path)


def _reminders(desk: Desk, escalation_id: str = GLOBEX_ID) -> list[Effect]:
    with desk.deps.uow() as uow:
        return [
            e
            for e in uow.effects.of(escalation_id)
            if "remind" in e.key or e.key.startswith("channel:reminder:")
        ]


def _at(desk: Desk, moment: datetime, settings: ReminderSettings | None = None) -> int:
    desk.clock.set(moment)
    return remind(desk.deps, settings or ReminderSettings())


def _risk_starts(desk: Desk, share: float = 0.25) -> datetime:
    """The instant less than ``share`` of the time from approval to deadline is left."""
    esc = desk.escalation(GLOBEX_ID)
    assert esc.deadline is not None
    assert esc.approved_at is not None
    return esc.deadline - (esc.deadline - esc.approved_at) * share


# --- holds about to expire ----------------------------------------------------------------------------------


def test_each_hold_is_reminded_once_when_it_enters_the_lead_time(
    mailed: Desk, notifier: FakeNotifier
) -> None:
    mailed.open(GLOBEX)
    hold_slots(mailed.deps, GLOBEX_ID, PSM)
    assert [h.expires_at for h in mailed.live_holds(GLOBEX_ID)] == [EXPIRES] * 3

    assert _at(mailed, EXPIRES - timedelta(hours=2, seconds=1)) == 0  # not yet: 120 minutes is the lead
    assert _at(mailed, EXPIRES - timedelta(hours=2)) == 3  # one per hold
    assert _at(mailed, EXPIRES - timedelta(minutes=30)) == 0  # never twice
    carry_out(mailed.deps, GLOBEX_ID)

    assert len(notifier.sent) == 3
    to, subject, body = notifier.sent[0]
    assert to == ("dmitri@provider.example", "paula@provider.example")  # the coordinators
    assert subject == "[Readout] Hold expiring in 120 min: ESC-48213 (Globex Financial)"
    assert "expires at Fri 13 Nov 09:00 Mexico City (15:00 UTC)" in body
    assert "Deadline: end of Thu 19 Nov (Mexico City) = Fri 20 Nov 06:00 UTC" in body
    assert "http://127.0.0.1:8000/escalations/ESC-48213" in body
    assert SUMMARY not in body
    sent = [e for e in mailed.audit(GLOBEX_ID) if e.kind == "reminder_sent"]
    assert [e.payload["to"] for e in sent] == [["dmitri", "paula"]] * 3
    assert {e.payload["reminder"] for e in sent} == {"hold_expiry"}
    assert _at(mailed, EXPIRES - timedelta(minutes=1)) == 0  # sent: still never twice


def test_the_lead_time_is_a_setting(mailed: Desk) -> None:
    mailed.open(GLOBEX)
    hold_slots(mailed.deps, GLOBEX_ID, PSM)
    half_hour = ReminderSettings(lead_minutes=30)
    assert _at(mailed, EXPIRES - timedelta(minutes=31), half_hour) == 0
    assert _at(mailed, EXPIRES - timedelta(minutes=30), half_hour) == 3


def test_an_expired_hold_is_not_reminded(mailed: Desk) -> None:
    mailed.open(GLOBEX)
    hold_slots(mailed.deps, GLOBEX_ID, PSM)
    assert _at(mailed, EXPIRES, SHARE_ONLY) == 0  # expired (reaped or not): nothing to remind about
    assert _reminders(mailed) == []


# --- deadlines at risk --------------------------------------------------------------------------------------


def test_a_deadline_at_risk_is_reminded_once_a_day(mailed: Desk, notifier: FakeNotifier) -> None:
    mailed.open(GLOBEX)  # no hold taken
    risk = _risk_starts(mailed)

    assert _at(mailed, risk - timedelta(minutes=1), SHARE_ONLY) == 0
    assert _at(mailed, risk + timedelta(minutes=1), SHARE_ONLY) == 1
    assert _at(mailed, risk + timedelta(hours=1), SHARE_ONLY) == 0  # the same day in Mexico City (23:11)
    carry_out(mailed.deps, GLOBEX_ID)
    assert _at(mailed, risk + timedelta(days=1), SHARE_ONLY) == 1  # the next day: once more

    carry_out(mailed.deps, GLOBEX_ID)
    (to, subject, body), _ = notifier.sent
    assert to == ("dmitri@provider.example", "paula@provider.example")
    assert subject == "[Readout] Deadline at risk: ESC-48213 (Globex Financial)"
    assert "left of the 199 h from the RCA's approval to the deadline (less than 25%)" in body
    assert "Deadline: end of Thu 19 Nov (Mexico City) = Fri 20 Nov 06:00 UTC" in body
    days = [e.payload["day"] for e in mailed.audit(GLOBEX_ID) if e.kind == "reminder_sent"]
    assert days == ["2026-11-17", "2026-11-18"]


def test_too_few_compliant_slots_ahead_is_a_risk(mailed: Desk, notifier: FakeNotifier) -> None:
    mailed.open(GLOBEX)  # four compliant slots
    assert _at(mailed, OPENED) == 0  # default: fewer than 2
    assert _at(mailed, OPENED, ReminderSettings(at_risk_share=0.01, at_risk_slots=5)) == 1
    carry_out(mailed.deps, GLOBEX_ID)
    ((_, _, body),) = notifier.sent
    assert "the latest plan has 4 compliant slots still ahead (fewer than 5)" in body


def test_a_live_hold_means_not_at_risk(mailed: Desk) -> None:
    mailed.open(GLOBEX)
    hold_slots(mailed.deps, GLOBEX_ID, PSM)
    assert _at(mailed, OPENED + timedelta(hours=1), ReminderSettings(at_risk_slots=9)) == 0


def test_a_missed_deadline_says_so(mailed: Desk, notifier: FakeNotifier) -> None:
    mailed.open(GLOBEX)
    deadline = mailed.escalation(GLOBEX_ID).deadline
    assert deadline is not None
    assert _at(mailed, deadline + timedelta(hours=5)) == 1
    carry_out(mailed.deps, GLOBEX_ID)
    ((_, subject, body),) = notifier.sent
    assert subject == "[Readout] Deadline missed: ESC-48213 (Globex Financial)"
    assert "has passed: the deadline passed 5 h ago" in body


def test_a_cancelled_or_confirmed_readout_is_never_reminded(mailed: Desk) -> None:
    mailed.open(GLOBEX)
    cancel(mailed.deps, GLOBEX_ID, PSM, "customer withdrew the request for a readout")
    deadline = mailed.escalation(GLOBEX_ID).deadline
    assert deadline is not None
    assert _at(mailed, deadline + timedelta(days=1), ReminderSettings(at_risk_slots=9)) == 0

    mailed.open(FREEZE)
    approve(mailed.deps, FREEZE_ID, DUTY, WAIVED, "duty engineer stays on")
    hold_slots(mailed.deps, FREEZE_ID, PSM)
    seen = review(mailed.deps, FREEZE_ID, PSM, WAIVED)
    confirm(mailed.deps, FREEZE_ID, PSM, seen.packet.digest)
    now = mailed.clock()
    assert _at(mailed, now + timedelta(days=30), ReminderSettings(at_risk_slots=9)) == 0
    assert _reminders(mailed, FREEZE_ID) == []
    assert _reminders(mailed, GLOBEX_ID) == []


# --- where they go ------------------------------------------------------------------------------------------


def test_without_channel_or_relay_nothing_is_written(desk: Desk) -> None:
    desk.open(GLOBEX)
    hold_slots(desk.deps, GLOBEX_ID, PSM)
    assert _at(desk, EXPIRES - timedelta(hours=1), ReminderSettings(at_risk_slots=9)) == 0
    assert _reminders(desk) == []


def test_with_a_channel_a_case_without_a_request_gets_a_top_level_post(
    announced: Desk, channel: MemoryChannel
) -> None:
    announced.open(GLOBEX)
    hold_slots(announced.deps, GLOBEX_ID, PSM)
    assert _at(announced, EXPIRES - timedelta(hours=1)) == 3
    carry_out(announced.deps, GLOBEX_ID)

    assert len(channel.posted) == 3
    assert all(p.thread is None for p in channel.posted)
    text = channel.posted[0].message.text
    assert text.startswith("Reminder: the hold on ")
    assert "for ESC-48213 (Globex Financial) expires at Fri 13 Nov 09:00 Mexico City (15:00 UTC)" in text
    assert "Next: a coordinator reviews and confirms the readout on it, or releases it" in text
    assert _at(announced, EXPIRES - timedelta(minutes=10)) == 0


def test_with_a_channel_the_request_thread_gets_the_reply(announced: Desk, channel: MemoryChannel) -> None:
    announced.open(FREEZE)
    approve(announced.deps, FREEZE_ID, DUTY, WAIVED, "duty engineer stays on")
    hold_slots(announced.deps, FREEZE_ID, PSM)
    (hold,) = announced.live_holds(FREEZE_ID)
    carry_out(announced.deps, FREEZE_ID)
    before = len(channel.posted)

    announced.clock.set(hold.expires_at - timedelta(minutes=90))
    assert remind(announced.deps, ReminderSettings()) == 1
    carry_out(announced.deps, FREEZE_ID)

    (top,) = channel.top_level()
    reply = channel.posted[-1]
    assert len(channel.posted) == before + 1
    assert reply.thread == top.ref
    assert reply.message.text.startswith("Reminder: the hold on ")
    assert "(Initech Bank)" in reply.message.text


def test_while_a_request_is_open_the_at_risk_reminder_points_at_its_deciders(
    announced: Desk, channel: MemoryChannel
) -> None:
    announced.open(FREEZE)  # no compliant slot: the waiver request goes to the duty manager at once
    carry_out(announced.deps, FREEZE_ID)

    assert remind(announced.deps, ReminderSettings()) == 1
    carry_out(announced.deps, FREEZE_ID)

    reply = channel.posted[-1]
    assert reply.message.text.startswith("Reminder: the readout for ESC-51007")
    assert "Next: the deciders of exception request #1 approve a near miss or reject it" in reply.message.text
    assert "/approvals/ESC-51007/1" in reply.message.text
    assert "a coordinator holds a slot" not in reply.message.text


def test_a_worker_pass_writes_the_reminders_and_the_next_one_sends_them(
    mailed: Desk, notifier: FakeNotifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("READOUT_REMINDER_LEAD_MINUTES", raising=False)
    mailed.open(GLOBEX)
    hold_slots(mailed.deps, GLOBEX_ID, PSM)
    carry_out(mailed.deps, GLOBEX_ID)
    mailed.clock.set(EXPIRES - timedelta(hours=1))

    first = run_pass(mailed.deps)
    second = run_pass(mailed.deps)

    assert first.reminded == 3
    assert first.line().endswith("reaped 0, reminded 3, re-planned 0")
    assert first.as_dict()["reminded"] == 3
    assert (second.delivered, second.reminded) == (3, 0)
    assert len(notifier.sent) == 3


# --- settings -----------------------------------------------------------------------------------------------


def test_settings_default_and_validate() -> None:
    assert reminder_settings({}) == ReminderSettings(120.0, 0.25, 2)
    given = {
        "READOUT_REMINDER_LEAD_MINUTES": "45",
        "READOUT_AT_RISK_SHARE": "0.5",
        "READOUT_AT_RISK_SLOTS": "3",
    }
    assert reminder_settings(given) == ReminderSettings(45.0, 0.5, 3)
    for name, bad in [
        ("READOUT_REMINDER_LEAD_MINUTES", "0"),
        ("READOUT_REMINDER_LEAD_MINUTES", "soon"),
        ("READOUT_REMINDER_LEAD_MINUTES", "20000"),
        ("READOUT_AT_RISK_SHARE", "1"),
        ("READOUT_AT_RISK_SHARE", "25%"),
        ("READOUT_AT_RISK_SHARE", "0"),
        ("READOUT_AT_RISK_SLOTS", "1.5"),
        ("READOUT_AT_RISK_SLOTS", "-1"),
    ]:
        with pytest.raises(ConfigError, match=name):
            reminder_settings({name: bad})


def test_every_effect_kind_has_a_sentence_for_status() -> None:
    for kind in EffectKind:
        effect = Effect(
            1, GLOBEX_ID, kind, f"{kind.value}:1", {"to": ["dmitri"], "subject": "Hold expiring"}, OPENED
        )
        assert effect_sentence(effect).endswith(
            "not done yet, will be retried by `readout worker` (or `readout reap`)"
        )
