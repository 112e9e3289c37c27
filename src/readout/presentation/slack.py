"""The support leadership channel's messages as Slack Block Kit (docs/leadership-channel.md).

Pure builders over plain values: an exception request's message (with its Approve, Reject and "Open in
Readout" buttons), the same message once decided (buttons replaced by who decided, when and what), and the
replies in its thread (waivers recorded, holds placed and released, review, confirmation, cancellation).

What goes to the channel: the escalation id, the customer's name, times (the contract zone's local time with
its city, UTC second, the fix owner's own time), constraint families, roles and people's names. Never the
internal summary, nothing read from a calendar beyond free/busy, and no calendar address.

The interaction contract with ``entrypoints/http/slack.py``: one actions block per option (``option-<n>``,
n from 1) holding a button ``readout_approve`` whose value is JSON ``{"escalation", "request", "slot"}``
(the option's start, UTC ISO 8601 with Z), and a final actions block ``decide`` with ``readout_reject``
(value JSON ``{"escalation", "request"}``) and the URL button "Open in Readout".
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from readout.domain.channel import ChannelMessage
from readout.domain.intervals import utc_text
from readout.presentation import times
from readout.presentation.messages import (
    LEDGER_ONLY_NOTE,
    confirmed_headline,
    no_invitation_block,
    who_decides,
)

__all__ = [
    "APPROVE",
    "MAX_OPTIONS",
    "REJECT",
    "DeciderGroup",
    "Option",
    "Person",
    "RequestCard",
    "approved_message",
    "cancelled_reply",
    "confirmed_reply",
    "deciders_next",
    "escape",
    "holds_ended_reply",
    "holds_placed_reply",
    "option_text",
    "rejected_message",
    "request_message",
    "reviewed_reply",
    "slot_for",
    "superseded_message",
    "waiver_reply",
]

APPROVE, REJECT = "readout_approve", "readout_reject"  # action ids (entrypoints/http/slack.py answers them)
MAX_OPTIONS = 5  # approve buttons on one message (the request offers at most five near misses)
_SECTION_LIMIT = 3000  # characters of one section's text (Slack refuses longer)


@dataclass(frozen=True)
class Person:
    """Someone whose own local time is shown next to a slot: display name and IANA zone."""

    name: str
    zone: str


@dataclass(frozen=True)
class Option:
    """A near miss offered for approval: the slot and the families it needs waived."""

    start: datetime
    end: datetime
    waivers: tuple[str, ...]


# One part of a request as ``messages.who_decides`` reads it: (family, roles, ((user id, name), ...)).
DeciderGroup = tuple[str, Sequence[str], Sequence[tuple[str, str]]]


@dataclass(frozen=True)
class RequestCard:
    """What an exception request's message says. ``requester``: whose request it is, as a sentence part
    (``Priya Shah`` or ``Readout, when Dana Ortiz's plan found no compliant slot``); ``deciders``: one group
    per cause; ``link``: the request's page in the web app."""

    escalation_id: str
    request_id: int
    customer: str
    contract_zone: str
    deadline: datetime | None
    to_leadership: bool
    causes: tuple[str, ...]
    deciders: tuple[DeciderGroup, ...]
    requester: str
    reason: str
    requested_at: datetime
    options: tuple[Option, ...]
    fix_owner: Person | None
    link: str


def escape(text: str) -> str:
    """Text as Slack mrkdwn shows it literally (``&``, ``<`` and ``>`` are its control characters)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _section(text: str) -> dict[str, Any]:
    if len(text) > _SECTION_LIMIT:
        text = text[: _SECTION_LIMIT - 1] + "…"
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:_SECTION_LIMIT]}]}


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": text if len(text) <= limit else text[: limit - 1] + "…"}


def _title(card: RequestCard) -> str:
    customer = f" ({card.customer})" if card.customer else ""
    return f"Exception request #{card.request_id}: {card.escalation_id}{customer}"


def slot_for(start: datetime, end: datetime, zone: str, fix_owner: Person | None) -> str:
    """``Tue 24 Nov 12:00-13:00 Berlin (11:00-12:00 UTC); Ravi Kumar (fix owner): 16:30-17:30 Kolkata``:
    the contract zone's local time with its city, UTC, then the fix owner's own time."""
    text = times.slot(start, end, zone)
    if fix_owner is not None:
        text += f"; {fix_owner.name} (fix owner): {times.person_span(start, end, fix_owner.zone, zone)}"
    return text


def option_text(card: RequestCard, option: Option) -> str:
    """An option's slot as ``slot_for`` says it."""
    return slot_for(option.start, option.end, card.contract_zone, card.fix_owner)


def _deadline(card: RequestCard) -> str:
    if card.deadline is None:
        return "no contractual deadline recorded"
    return times.deadline(card.deadline, card.contract_zone)


def _facts(card: RequestCard) -> list[dict[str, Any]]:
    """The header and what every version of the message says: customer, deadline, requester, causes."""
    decides = "support leadership" if card.to_leadership else "the waiver approvers"
    head = [
        f"*Escalation:* {escape(card.escalation_id)}",
        f"*Customer:* {escape(card.customer or 'not named in the case')}",
        f"*Deadline:* {escape(_deadline(card))}",
        f"*Requested by:* {escape(card.requester)} at {times.instant(card.requested_at, card.contract_zone)}",
        f"*Reason:* {escape(card.reason or 'none given')}",
        f"*Decided by:* {decides}",
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(_title(card), 150)},
        _section("\n".join(head)),
    ]
    if card.deciders:
        lines = [f"• {escape(line)}" for line in who_decides(card.deciders)]
        blocks.append(_section("*What blocks every slot, and who may waive it:*\n" + "\n".join(lines)))
    elif card.causes:
        blocks.append(_section("*What blocks every slot:* " + escape(", ".join(card.causes))))
    return blocks


def _options_section(card: RequestCard) -> dict[str, Any] | None:
    if not card.options:
        return None
    lines = [
        f"{n}. {escape(option_text(card, o))}: needs {', '.join(o.waivers) or 'no'} waived"
        for n, o in enumerate(card.options[:MAX_OPTIONS], start=1)
    ]
    return _section("*Near misses (the slots that could be approved):*\n" + "\n".join(lines))


def _approve_block(card: RequestCard, n: int, option: Option) -> dict[str, Any]:
    value = {"escalation": card.escalation_id, "request": card.request_id, "slot": utc_text(option.start)}
    when = times.slot(option.start, option.end, card.contract_zone)
    confirm = {
        "title": _plain(f"Approve option {n}?", 100),
        "text": {
            "type": "mrkdwn",
            "text": escape(
                f"This records your waiver of {', '.join(option.waivers) or 'nothing'} for {when} only, "
                f"in your name, in {card.escalation_id}'s audit trail. Nothing is held or sent yet."
            ),
        },
        "confirm": _plain("Approve", 30),
        "deny": _plain("Cancel", 30),
    }
    button = {
        "type": "button",
        "action_id": APPROVE,
        "text": _plain(f"Approve option {n}", 75),
        "style": "primary",
        "value": json.dumps(value, separators=(",", ":")),
        "confirm": confirm,
    }
    return {"type": "actions", "block_id": f"option-{n}", "elements": [button]}


def _decide_block(card: RequestCard) -> dict[str, Any]:
    value = {"escalation": card.escalation_id, "request": card.request_id}
    return {
        "type": "actions",
        "block_id": "decide",
        "elements": [
            {
                "type": "button",
                "action_id": REJECT,
                "text": _plain("Reject", 75),
                "style": "danger",
                "value": json.dumps(value, separators=(",", ":")),
            },
            {
                "type": "button",
                "action_id": "readout_open",
                "text": _plain("Open in Readout", 75),
                "url": card.link,
            },
        ],
    }


def deciders_next(card: RequestCard) -> str:
    """Who decides the open request, by name: ``support leadership (Grace Okafor)`` for a request sent to
    it, else per family the near misses need waived, who may waive it: ``a decider (COVERAGE: Omar
    Haddad)``."""
    wanted = {""} if card.to_leadership else {f for o in card.options for f in o.waivers}
    parts = []
    for family, roles, users in card.deciders:
        if family not in wanted:
            continue
        who = " or ".join(name for _, name in users) or (
            "nobody yet (an administrator gives someone the role "
            + " or ".join(r.replace("_", " ") for r in roles)
            + ")"
        )
        parts.append(f"{family}: {who}" if family else who)
    if not parts:
        return "one of the people named above"
    if card.to_leadership:
        return f"support leadership ({parts[0]})"
    return f"a decider ({'; '.join(parts)})"


def request_message(card: RequestCard) -> ChannelMessage:
    """The open request: facts, near misses, an Approve button per option, Reject and Open in Readout."""
    blocks = _facts(card)
    options = _options_section(card)
    if options is not None:
        blocks.append(options)
    next_step = (
        f"Recorded in Readout; nothing is held and nobody is invited yet. Next: {deciders_next(card)} "
        "approves an option (Approve) or rejects the request (Reject, with a reason)."
    )
    if not card.options:
        next_step = (
            "Recorded in Readout; nothing is held and nobody is invited yet. No slot can be approved here: "
            "support leadership rejects (Reject) or approves a replacement role holder in Readout."
        )
    blocks.append(_context(escape(next_step)))
    blocks += [_approve_block(card, n, o) for n, o in enumerate(card.options[:MAX_OPTIONS], start=1)]
    blocks.append(_decide_block(card))
    text = f"{_title(card)}: a decision is needed, deadline {_deadline(card)}"
    return ChannelMessage(text, tuple(blocks))


def _decided(card: RequestCard, outcome: str, next_step: str) -> ChannelMessage:
    blocks = _facts(card)
    options = _options_section(card)
    if options is not None:
        blocks.append(options)
    blocks.append(_section(escape(outcome)))
    blocks.append(_context(f"{escape(next_step)} <{card.link}|Open in Readout>"))
    return ChannelMessage(f"{_title(card)}: {outcome}", tuple(blocks))


def approved_message(card: RequestCard, by: str, at: datetime, approves: str) -> ChannelMessage:
    """The request once approved: ``Approved by NAME at TIME (contract zone, UTC): WHAT`` instead of the
    buttons (``approves``: the slot with its waivers, or the replacement role holder)."""
    outcome = f"Approved by {by} at {times.instant(at, card.contract_zone)}: {approves}"
    return _decided(
        card,
        outcome,
        "Recorded in Readout; nothing is held yet. Next: a coordinator holds the approved slot in Readout.",
    )


def rejected_message(
    card: RequestCard, by: str, at: datetime, reason: str, to_leadership: bool
) -> ChannelMessage:
    """The request once rejected: ``Rejected by NAME at TIME: reason``; a rejected waiver request goes on
    to support leadership (``to_leadership``), whose new request is a message of its own."""
    outcome = f"Rejected by {by} at {times.instant(at, card.contract_zone)}: {reason}"
    if to_leadership:
        next_step = "Recorded in Readout. Next: support leadership decides the new request posted for it."
    else:
        next_step = "Recorded in Readout; the request is closed. Next: a coordinator plans again in Readout."
    return _decided(card, outcome, next_step)


def superseded_message(card: RequestCard, at: datetime, why: str) -> ChannelMessage:
    """The request once a newer plan replaced it (its options no longer stand)."""
    outcome = f"No longer open since {times.instant(at, card.contract_zone)}: {why}"
    return _decided(
        card, outcome, "Nothing was decided on this request. Next: see the newer message, if one was posted."
    )


def _reply(text: str) -> ChannelMessage:
    return ChannelMessage(text, (_section(escape(text)),))


def waiver_reply(
    by: str, at: datetime, zone: str, families: Sequence[str], slot: str, still: str
) -> ChannelMessage:
    """A waiver recorded on a request that still needs another (``still``: what and who)."""
    return _reply(
        f"{by} waived {', '.join(families)} for {slot} at {times.instant(at, zone)}. Recorded in Readout; "
        f"the request stays open. Next: {still}."
    )


def holds_placed_reply(
    by: str, at: datetime, zone: str, held: Sequence[tuple[str, str]], expires: datetime
) -> ChannelMessage:
    """Holds recorded by one command: each slot and where it goes (``held``: (slot, where) with where the
    names of the people whose calendars get it, or ``""`` for a hold kept in the ledger only)."""
    lines = [f"{len(held)} hold(s) placed by {by} at {times.instant(at, zone)}:"]
    for slot, where in held:
        lines.append(f"• {slot}: " + (f"on {where}" if where else LEDGER_ONLY_NOTE))
    lines.append(
        f"They expire {times.instant(expires, zone)}. Nobody is invited yet. Next: a coordinator reviews "
        "one held slot's invite packet, then someone who did not waive it confirms."
    )
    return _reply("\n".join(lines))


def holds_ended_reply(
    by: str,
    at: datetime,
    zone: str,
    slots: Sequence[str],
    why: str,
    expired: bool,
    on_calendars: bool = True,
) -> ChannelMessage:
    """Holds released (by hand or by a plan) or expired: which slots, and why (``on_calendars``: some were
    on someone's calendar, else they were in Readout's ledger only)."""
    verb = "expired" if expired else f"released by {by}"
    lines = [f"{len(slots)} hold(s) {verb} at {times.instant(at, zone)} ({why}):"]
    lines += [f"• {slot}" for slot in slots]
    gone = (
        "They are being taken off the calendars they were on."
        if on_calendars
        else "They were in Readout's ledger only: no calendar changes."
    )
    lines.append(f"{gone} Next: a coordinator holds again if needed.")
    return _reply("\n".join(lines))


def reviewed_reply(by: str, at: datetime, zone: str, slot: str) -> ChannelMessage:
    """A held slot's invite packet reviewed (nothing sent)."""
    return _reply(
        f"{by} reviewed the invite packet for {slot} at {times.instant(at, zone)}. Nothing is sent yet. "
        "Next: a coordinator who did not waive this slot confirms it in Readout."
    )


def confirmed_reply(
    by: str,
    slot: str,
    attendees: int,
    not_sent: str | None,
    escalation_manager: str | None = None,
    link: str | None = None,
) -> ChannelMessage:
    """The readout confirmed, and whether an invitation goes out (``not_sent``: why none does; then the
    escalation manager, named when the case names one, sends the reviewed packet from ``link``)."""
    lines = [confirmed_headline(by, slot)]
    if not_sent is None:
        lines.append(
            f"The invitation to the {attendees} attendees is queued in Readout's outbox and sent from there. "
            "The other holds are released. Next: nobody, unless `readout status` shows the invitation "
            "failed to go out."
        )
    else:
        where = f" (on {link})" if link else " (on the escalation's page in Readout)"
        who = (
            f"{escalation_manager}, the escalation manager,"
            if escalation_manager
            else "the escalation manager"
        )
        lines += [
            no_invitation_block(not_sent)[0],
            "The readout is confirmed in Readout only: no attendee has been told, and Readout will not send "
            "this invitation later. The other holds are released.",
            f"Next: {who} sends the reviewed packet{where} to the attendees.",
        ]
    return _reply("\n".join(lines))


def cancelled_reply(
    by: str, at: datetime, zone: str, reason: str, was_confirmed: bool, cancellation_sent: bool = True
) -> ChannelMessage:
    """The readout cancelled: holds (and the readout's event) come off the calendars. A confirmed readout
    whose cancellation Readout does not send (``cancellation_sent`` false: it invited nobody, or has no
    relay) leaves the attendees to be told by a person."""
    if not was_confirmed:
        after = "Every live hold is being released. Nobody needs to act."
    elif cancellation_sent:
        after = (
            "The readout's calendar event is being removed; the attendees Readout invited get a "
            "cancellation from its outbox. Next: nobody, unless `readout status` shows the cancellation "
            "failed to go out."
        )
    else:
        after = (
            "Its holds are being released. NO CANCELLATION WAS SENT by Readout (it sent no invitation for "
            "this readout, or has no SMTP relay). Next: the escalation manager tells the attendees who know "
            "of this readout (a packet sent by hand, an invitation) that it is cancelled."
        )
    return _reply(f"Cancelled by {by} at {times.instant(at, zone)}: {reason}. {after}")
