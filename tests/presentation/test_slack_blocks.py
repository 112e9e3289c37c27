"""The leadership channel's Block Kit messages: what a decider reads and the buttons' interaction contract."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from readout.domain.channel import ChannelMessage
from readout.presentation import slack


def u(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


OPTIONS = tuple(
    slack.Option(
        u(2026, 11, 24, 11) + timedelta(hours=h), u(2026, 11, 24, 12) + timedelta(hours=h), ("COVERAGE",)
    )
    for h in range(7)
)
CARD = slack.RequestCard(
    escalation_id="ESC-51007",
    request_id=3,
    customer="Initech Bank",
    contract_zone="Europe/Berlin",
    deadline=u(2026, 11, 30, 23),
    to_leadership=False,
    causes=("COVERAGE", "CAB_BLACKOUT"),
    deciders=(
        ("COVERAGE", ("duty_manager",), (("omar", "Omar Duty"),)),
        ("CAB_BLACKOUT (cannot be waived)", ("support_leadership",), ()),
    ),
    requester="Priya Shah",
    reason="customer insists on this week",
    requested_at=u(2026, 11, 23, 11),
    options=OPTIONS,
    fix_owner=slack.Person("Ravi Kumar", "Asia/Kolkata"),
    link="https://readout.example/approvals/ESC-51007/3",
)


def _actions(message: ChannelMessage) -> list[dict[str, Any]]:
    return [b for b in message.blocks if b["type"] == "actions"]


def _mrkdwn(node: Any) -> list[str]:
    """Every text Slack reads as markup."""
    if isinstance(node, dict):
        own = [node["text"]] if node.get("type") == "mrkdwn" else []
        return own + [t for v in node.values() for t in _mrkdwn(v)]
    if isinstance(node, list | tuple):
        return [t for v in node for t in _mrkdwn(v)]
    return []


def _text(message: ChannelMessage) -> str:
    return json.dumps(message.blocks)


def test_the_request_says_customer_deadline_causes_deciders_requester_and_local_times() -> None:
    message = slack.request_message(CARD)

    text = _text(message)
    assert message.text.startswith("Exception request #3: ESC-51007 (Initech Bank): a decision is needed")
    assert "end of Mon 30 Nov (Berlin) = Mon 30 Nov 23:00 UTC" in text
    assert "COVERAGE: the duty manager: Omar Duty (omar)" in text
    assert (
        "CAB_BLACKOUT (cannot be waived): support leadership: nobody with this role in Readout's users yet"
        in text
    )
    assert "*Requested by:* Priya Shah at Mon 23 Nov 12:00 Berlin (11:00 UTC)" in text
    assert (
        "1. Tue 24 Nov 12:00-13:00 Berlin (11:00-12:00 UTC); Ravi Kumar (fix owner): 16:30-17:30 Kolkata"
        in text
    )
    assert "6. " not in text  # at most five near misses


def test_one_approve_button_per_option_up_to_five_each_with_a_confirm_dialog() -> None:
    actions = _actions(slack.request_message(CARD))

    approve = actions[:-1]
    assert [b["block_id"] for b in approve] == ["option-1", "option-2", "option-3", "option-4", "option-5"]
    for n, block in enumerate(approve):
        (button,) = block["elements"]
        assert button["action_id"] == "readout_approve"
        assert button["style"] == "primary"
        assert json.loads(button["value"]) == {
            "escalation": "ESC-51007",
            "request": 3,
            "slot": f"2026-11-24T{11 + n:02d}:00:00Z",
        }
        assert set(button["confirm"]) == {"title", "text", "confirm", "deny"}
        assert "for Tue 24 Nov" in button["confirm"]["text"]["text"]


def test_the_last_actions_block_rejects_and_opens_the_request_in_readout() -> None:
    decide = _actions(slack.request_message(CARD))[-1]

    reject, open_it = decide["elements"]
    assert decide["block_id"] == "decide"
    assert reject["action_id"] == "readout_reject"
    assert json.loads(reject["value"]) == {"escalation": "ESC-51007", "request": 3}
    assert open_it["text"]["text"] == "Open in Readout"
    assert open_it["url"] == "https://readout.example/approvals/ESC-51007/3"


def test_a_request_without_options_has_no_approve_button_and_says_what_leadership_can_do() -> None:
    message = slack.request_message(replace(CARD, options=(), to_leadership=True))

    assert [b["block_id"] for b in _actions(message)] == ["decide"]
    assert "No slot can be approved here" in _text(message)
    assert "*Decided by:* support leadership" in _text(message)


def test_a_decided_request_has_no_buttons_and_says_who_decided_when_and_what() -> None:
    approved = slack.approved_message(
        CARD, "Omar Duty", u(2026, 11, 23, 11, 30), "the slot X with COVERAGE waived"
    )
    rejected = slack.rejected_message(
        CARD, "Omar Duty", u(2026, 11, 23, 11, 30), "no cover", to_leadership=True
    )

    for message in (approved, rejected):
        assert _actions(message) == []
        assert "https://readout.example/approvals/ESC-51007/3" in _text(message)
    assert "Approved by Omar Duty at Mon 23 Nov 12:30 Berlin (11:30 UTC): the slot X" in approved.text
    assert "Rejected by Omar Duty at Mon 23 Nov 12:30 Berlin (11:30 UTC): no cover" in rejected.text
    assert "support leadership decides the new request" in _text(rejected)


def test_names_and_reasons_are_shown_literally_not_as_slack_markup() -> None:
    card = replace(CARD, customer="A&B <!channel>", reason="<https://evil.example|click>")

    text = " ".join(_mrkdwn(slack.request_message(card).blocks))

    assert "A&amp;B &lt;!channel&gt;" in text
    assert "<!channel>" not in text  # (a plain_text header is never read as markup)
    assert "&lt;https://evil.example|click&gt;" in text


def test_long_text_stays_within_slacks_limits() -> None:
    card = replace(CARD, reason="x" * 5000, customer="C" * 300)

    message = slack.request_message(card)

    for block in message.blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        for element in block.get("elements", []):
            if element.get("type") == "button":
                assert len(element["text"]["text"]) <= 75


def test_a_confirmation_without_an_invitation_says_so_and_who_acts_next() -> None:
    reply = slack.confirmed_reply(
        "Priya Shah", "Tue 24 Nov 12:00-13:00 Berlin (11:00-12:00 UTC)", 4, "no relay"
    )
    sent = slack.confirmed_reply("Priya Shah", "Tue 24 Nov 12:00-13:00 Berlin (11:00-12:00 UTC)", 4, None)

    assert reply.text.startswith("Confirmed in Readout by Priya Shah: Tue 24 Nov 12:00-13:00 Berlin")
    assert "NO INVITATION WAS SENT: no relay." in reply.text
    assert "the escalation manager sends the reviewed packet" in reply.text
    assert "NO INVITATION" not in sent.text
    assert "4 attendees is queued" in sent.text


def test_a_hold_kept_in_the_ledger_only_says_it_is_on_nobodys_calendar() -> None:
    reply = slack.holds_placed_reply(
        "Priya Shah",
        u(2026, 11, 23, 11),
        "Europe/Berlin",
        [("slot A", "Dana Ortiz's calendar"), ("slot B", "")],
        u(2026, 11, 24, 11),
    )

    assert "• slot A: on Dana Ortiz's calendar" in reply.text
    assert "• slot B: ledger only: the hold is recorded in Readout and is on nobody's calendar" in reply.text
    assert "They expire Tue 24 Nov 12:00 Berlin (11:00 UTC)" in reply.text
