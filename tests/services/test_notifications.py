"""Without a leadership channel, an exception request is e-mailed to the users who may decide it: once, written
as an outbox intent with the decision, sent by the effect runner, audited by user id; nothing at all when no
relay is configured either."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from readout.adapters.memory.channel import MemoryChannel
from readout.adapters.memory.hold_calendar import MemoryHoldCalendar
from readout.domain.effects import EffectKind, EffectStatus, notification_message_id
from readout.domain.users import SYSTEM
from readout.errors import Conflict, ReadoutError, SourceUnavailable
from readout.services.context import Deps
from readout.services.effects import carry_out
from readout.services.exceptions import approve
from readout.services.queries import escalation_status
from readout.services.views import effect_sentence
from tests.services.flows import DUTY, FREEZE, FREEZE_ID, GLOBEX, GLOBEX_ID, Clock, Desk

SUMMARY = "Payment file transfer stalled"  # the case file's internal summary: never in an e-mail


@dataclass
class Sent:
    to: tuple[str, ...]
    subject: str
    body: str
    message_id: str


@dataclass
class FakeNotifier:
    """Records what it sends; fails with ``failures`` (in order) first."""

    sent: list[Sent] = field(default_factory=list)
    failures: list[ReadoutError] = field(default_factory=list)

    def send(self, to: Sequence[str], subject: str, body: str, message_id: str) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(Sent(tuple(to), subject, body, message_id))


@pytest.fixture
def notifier() -> FakeNotifier:
    return FakeNotifier()


@pytest.fixture
def mailed(
    deps: Deps, clock: Clock, hold_calendar: MemoryHoldCalendar, tmp_path: Path, notifier: FakeNotifier
) -> Desk:
    """A desk with an SMTP notifier and no leadership channel."""
    return Desk(replace(deps, notifier=notifier), clock, hold_calendar, tmp_path)


def _notifications(desk: Desk, escalation_id: str = FREEZE_ID) -> list:  # type: ignore[type-arg]
    with desk.deps.uow() as uow:
        return [e for e in uow.effects.of(escalation_id) if e.kind is EffectKind.NOTIFY_EMAIL]


def test_an_open_request_is_emailed_to_its_deciders_once_with_deadline_link_and_no_summary(
    mailed: Desk, notifier: FakeNotifier
) -> None:
    mailed.open(FREEZE)
    assert notifier.sent == []  # written with the decision, sent by the runner
    (effect,) = _notifications(mailed)
    assert effect.status is EffectStatus.PENDING
    assert effect_sentence(effect).startswith("E-mail omar ([Readout] Decision needed: exception request #1")

    carry_out(mailed.deps, FREEZE_ID)

    (mail,) = notifier.sent
    assert mail.to == ("omar@provider.example",)  # the duty manager waives COVERAGE; nobody else is asked
    assert mail.subject == "[Readout] Decision needed: exception request #1 for ESC-51007 (Initech Bank)"
    assert "Deadline: end of Mon 30 Nov (Berlin) = Mon 30 Nov 23:00 UTC" in mail.body
    assert "Tue 24 Nov 12:00-13:00 Berlin (11:00-12:00 UTC): waives COVERAGE" in mail.body
    assert "http://127.0.0.1:8000/approvals/ESC-51007/1" in mail.body
    assert SUMMARY not in mail.body
    assert SUMMARY not in mail.subject
    assert mail.message_id == notification_message_id("notify:request:1")
    entry = next(e for e in mailed.audit(FREEZE_ID) if e.kind == "approvers_notified")
    assert {k: entry.payload[k] for k in ("request", "route", "to")} == {
        "request": 1,
        "route": "waiver_approvers",
        "to": ["omar"],  # user ids: no address in the audit
    }
    assert "omar@provider.example" not in str(entry.payload)
    assert entry.actor == SYSTEM.id

    carry_out(mailed.deps, FREEZE_ID)  # done: never sent again
    assert len(notifier.sent) == 1


def test_deciding_the_request_sends_nothing_more(mailed: Desk, notifier: FakeNotifier) -> None:
    mailed.open(FREEZE)
    carry_out(mailed.deps, FREEZE_ID)
    with mailed.deps.uow() as uow:
        (request,) = uow.exceptions.of(FREEZE_ID)
    approve(mailed.deps, FREEZE_ID, DUTY, request.options[0].slot.start, "duty engineer stays on")
    carry_out(mailed.deps, FREEZE_ID)

    assert len(notifier.sent) == 1
    assert len(_notifications(mailed)) == 1


def test_a_ready_escalation_emails_nobody(mailed: Desk, notifier: FakeNotifier) -> None:
    mailed.open(GLOBEX)
    carry_out(mailed.deps, GLOBEX_ID)
    assert _notifications(mailed, GLOBEX_ID) == []
    assert notifier.sent == []


def test_with_neither_channel_nor_relay_nothing_is_written(desk: Desk) -> None:
    desk.open(FREEZE)
    with desk.deps.uow() as uow:
        kinds = {e.kind for e in uow.effects.of(FREEZE_ID)}
    assert EffectKind.NOTIFY_EMAIL not in kinds
    assert EffectKind.CHANNEL_POST not in kinds


def test_with_a_channel_the_channel_is_told_not_the_mailboxes(mailed: Desk, notifier: FakeNotifier) -> None:
    channel = MemoryChannel()
    both = replace(mailed, deps=replace(mailed.deps, channel=channel))
    both.open(FREEZE)
    carry_out(both.deps, FREEZE_ID)
    assert len(channel.posted) == 1
    assert notifier.sent == []
    assert _notifications(both) == []


def test_a_relay_down_is_retried_with_the_same_message_id(mailed: Desk, notifier: FakeNotifier) -> None:
    notifier.failures.append(SourceUnavailable("the mail relay 127.0.0.1:25", "cannot connect"))
    mailed.open(FREEZE)
    carry_out(mailed.deps, FREEZE_ID)

    (waiting,) = _notifications(mailed)
    assert waiting.status is EffectStatus.PENDING
    assert waiting.attempts == 1
    assert "cannot connect" in (waiting.last_error or "")
    assert "not done yet, will be retried by `readout worker`" in effect_sentence(waiting)
    status = escalation_status(mailed.deps, FREEZE_ID)
    assert [e.kind for e in status.effects] == [EffectKind.NOTIFY_EMAIL]  # shown as not carried out

    mailed.clock.advance(seconds=31)  # the first retry waits 30 s
    carry_out(mailed.deps, FREEZE_ID)

    (mail,) = notifier.sent
    assert mail.message_id == notification_message_id("notify:request:1")
    assert _notifications(mailed)[0].status is EffectStatus.DONE


def test_a_refusal_is_a_dead_letter_never_resent(mailed: Desk, notifier: FakeNotifier) -> None:
    notifier.failures.append(Conflict("notification not sent via relay: refused every recipient"))
    mailed.open(FREEZE)
    carry_out(mailed.deps, FREEZE_ID)
    mailed.clock.advance(hours=2)
    carry_out(mailed.deps, FREEZE_ID)

    (dead,) = _notifications(mailed)
    assert dead.status is EffectStatus.FAILED
    assert notifier.sent == []
    assert "FAILED, not retried: a person must act" in effect_sentence(dead)
    failed = next(e for e in mailed.audit(FREEZE_ID) if e.kind == "effect_failed")
    assert failed.payload["kind"] == "notify_email"


def test_a_decider_without_an_address_is_left_out_and_nothing_is_sent_to_nobody(
    mailed: Desk, notifier: FakeNotifier
) -> None:
    mailed.open(FREEZE)
    with mailed.deps.uow() as uow:
        omar = uow.users.get(DUTY)
        assert omar is not None
        uow.users.put(replace(omar, email=""))
        uow.commit()

    carry_out(mailed.deps, FREEZE_ID)

    assert notifier.sent == []
    (effect,) = _notifications(mailed)
    assert effect.status is EffectStatus.DONE
    assert effect.result["skipped"]
    assert "approvers_notified" not in mailed.kinds(FREEZE_ID)


def test_bootstrap_gives_a_notifier_only_when_a_relay_is_configured(tmp_path: Path) -> None:
    from readout.adapters.mail.notify import SmtpNotifier
    from readout.bootstrap import workflow_deps

    base = {"READOUT_DATABASE_URL": f"sqlite:///{tmp_path / 'readout.db'}"}
    assert workflow_deps(environ=base).notifier is None
    relay = {**base, "READOUT_SMTP_HOST": "127.0.0.1", "READOUT_SMTP_STARTTLS": "false"}
    assert isinstance(workflow_deps(environ=relay).notifier, SmtpNotifier)
