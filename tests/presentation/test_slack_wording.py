"""The leadership channel's wording read as a duty manager reads it: each message says what was done, what was
only recorded, and who must act next, by name where Readout knows it, and points at nothing it does not show."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from readout.presentation import slack

SLOT = "Tue 24 Nov 12:00-13:00 Berlin (11:00-12:00 UTC)"


def u(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


CARD = slack.RequestCard(
    escalation_id="ESC-51007",
    request_id=1,
    customer="Initech Bank",
    contract_zone="Europe/Berlin",
    deadline=u(2026, 11, 30, 23),
    to_leadership=False,
    causes=("COVERAGE", "CAB_BLACKOUT"),
    deciders=(
        ("COVERAGE", ("duty_manager",), (("omar", "Omar Haddad"),)),
        ("CAB_BLACKOUT (cannot be waived)", ("support_leadership",), (("grace", "Grace Okafor"),)),
    ),
    requester="Priya Shah",
    reason="",
    requested_at=u(2026, 11, 23, 11),
    options=(slack.Option(u(2026, 11, 24, 11), u(2026, 11, 24, 12), ("COVERAGE",)),),
    fix_owner=slack.Person("Ravi Kumar", "Asia/Kolkata"),
    link="https://readout.example/approvals/ESC-51007/1",
)


def _next_step(message: slack.ChannelMessage) -> str:
    [context] = [b for b in message.blocks if b["type"] == "context"]
    text: str = context["elements"][0]["text"]
    return text


def test_an_open_request_names_who_may_approve_its_near_misses_not_everyone_listed() -> None:
    said = _next_step(slack.request_message(CARD))

    assert "Next: a decider (COVERAGE: Omar Haddad) approves an option (Approve)" in said
    assert "Grace" not in said  # named above for CAB_BLACKOUT, which no option asks to waive


def test_a_request_sent_to_leadership_names_leadership_and_a_missing_role_holder_says_so() -> None:
    leadership = replace(
        CARD, to_leadership=True, deciders=(("", ("support_leadership",), (("grace", "Grace Okafor"),)),)
    )
    nobody = replace(CARD, deciders=(("COVERAGE", ("duty_manager",), ()),))

    assert "Next: support leadership (Grace Okafor) approves" in _next_step(slack.request_message(leadership))
    assert "COVERAGE: nobody yet (an administrator gives someone the role duty manager)" in _next_step(
        slack.request_message(nobody)
    )


def test_a_confirmation_without_an_invitation_names_who_sends_the_packet_and_where_it_is() -> None:
    link = "https://readout.example/escalations/ESC-51007"
    reply = slack.confirmed_reply("Priya Shah", SLOT, 4, "no relay", "Dana Ortiz", link).text

    assert "NO INVITATION WAS SENT: no relay." in reply
    assert "no attendee has been told" in reply
    assert "(below)" not in reply  # a channel reply has no packet below it
    assert reply.endswith(f"Next: Dana Ortiz, the escalation manager, sends the reviewed packet (on {link}) "
                          "to the attendees.")  # fmt: skip


def test_a_confirmation_with_the_invitation_queued_says_it_is_not_sent_yet_and_who_acts_next() -> None:
    reply = slack.confirmed_reply("Priya Shah", SLOT, 4, None).text

    assert "The invitation to the 4 attendees is queued in Readout's outbox" in reply
    assert "Next: nobody, unless `readout status` shows the invitation failed to go out." in reply


def test_a_cancelled_readout_whose_cancellation_readout_does_not_send_says_who_tells_the_attendees() -> None:
    unsent = slack.cancelled_reply("Priya Shah", u(2026, 11, 23, 12), "Europe/Berlin", "customer withdrew",
                                   was_confirmed=True, cancellation_sent=False).text  # fmt: skip
    sent = slack.cancelled_reply("Priya Shah", u(2026, 11, 23, 12), "Europe/Berlin", "customer withdrew",
                                 was_confirmed=True, cancellation_sent=True).text  # fmt: skip

    assert unsent.startswith(
        "Cancelled by Priya Shah at Mon 23 Nov 13:00 Berlin (12:00 UTC): customer withdrew."
    )
    assert "NO CANCELLATION WAS SENT by Readout" in unsent
    assert "Next: the escalation manager tells the attendees" in unsent
    assert "Nobody needs to act" not in unsent
    assert "NO CANCELLATION" not in sent
    assert "get a cancellation from its outbox" in sent


def test_holds_kept_in_the_ledger_only_are_not_said_to_come_off_calendars() -> None:
    ledger = slack.holds_ended_reply("Readout", u(2026, 11, 24, 11), "Europe/Berlin", [SLOT], "expired", True,
                                     on_calendars=False).text  # fmt: skip
    calendars = slack.holds_ended_reply("Readout", u(2026, 11, 24, 11), "Europe/Berlin", [SLOT], "expired",
                                        True).text  # fmt: skip

    assert "ledger only: no calendar changes" in ledger
    assert "taken off the calendars" not in ledger
    assert "taken off the calendars they were on" in calendars
