"""E-mail notifications to Readout users: the port and the messages (plain text).

Without a leadership channel, the approvers an exception request is routed to are told by e-mail
(``services/announcements.py``), and reminders (``services/reminders.py``) go to the coordinators. Each
message is written as a ``NOTIFY_EMAIL`` effect with the decision that causes it and sent by the effect
runner (the worker) through a ``Notifier``.

A message carries the escalation id, the customer's name, times (the contract zone's local time with its city,
then UTC), what to do and the page to do it on: never the internal summary, never a calendar address.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from readout.presentation import times

__all__ = [
    "Email",
    "Notifier",
    "RequestMail",
    "at_risk_email",
    "hold_expiry_email",
    "request_email",
]


class Notifier(Protocol):
    """Sends one plain-text e-mail. Raises ``SourceUnavailable`` for a passing failure (the relay is down
    or slow, a 4xx answer: retried with backoff) and another ``ReadoutError`` (``Conflict``) for a final one
    (every recipient refused, or some refused after others got it: never sent again)."""

    def send(self, to: Sequence[str], subject: str, body: str, message_id: str) -> None: ...


@dataclass(frozen=True)
class Email:
    """A message's subject and body."""

    subject: str
    body: str


@dataclass(frozen=True)
class RequestMail:
    """What an exception request's e-mail to its approvers says."""

    escalation_id: str
    request_id: int
    customer: str
    contract_zone: str
    deadline: datetime | None
    to_leadership: bool
    causes: tuple[str, ...]
    options: tuple[tuple[datetime, datetime, tuple[str, ...]], ...]  # start, end, the families to waive
    requester: str
    reason: str
    link: str


def _customer(customer: str) -> str:
    return f" ({customer})" if customer else ""


def _deadline(moment: datetime | None, zone: str) -> str:
    return times.deadline(moment, zone) if moment is not None else "none recorded"


def _footer() -> str:
    return (
        "\n--\nSent by Readout. This e-mail carries no incident details; open the page above to see the case."
        "\nNothing was decided by sending it."
    )


def request_email(mail: RequestMail) -> Email:
    """An open exception request, for the users who may decide it."""
    zone, which = mail.contract_zone, f"{mail.escalation_id}{_customer(mail.customer)}"
    subject = f"[Readout] Decision needed: exception request #{mail.request_id} for {which}"
    lines = [
        f"Exception request #{mail.request_id} for {which} is waiting for a decision.",
        "",
        f"Deadline: {_deadline(mail.deadline, zone)}",
        f"Why no compliant slot: {', '.join(mail.causes) or 'not recorded'}",
        f"Requested by: {mail.requester}",
    ]
    if mail.reason:
        lines.append(f"Reason given: {mail.reason}")
    if mail.to_leadership:
        lines += ["", "Sent on to support leadership: only support leadership may decide it."]
    if mail.options:
        lines += ["", "Near misses offered (approve one to waive what it breaks):"]
        for n, (start, end, waivers) in enumerate(mail.options, 1):
            lines.append(f"  {n}. {times.slot(start, end, zone)}: waives {', '.join(waivers) or 'nothing'}")
    lines += [
        "",
        "What to do: approve a near miss or reject the request, with a reason, on its page:",
        f"  {mail.link}",
        "Until someone decides, nothing is held or sent for this readout.",
    ]
    return Email(subject, "\n".join(lines) + _footer())


def hold_expiry_email(
    escalation_id: str,
    customer: str,
    contract_zone: str,
    deadline: datetime | None,
    slot: tuple[datetime, datetime],
    expires_at: datetime,
    now: datetime,
    link: str,
) -> Email:
    """A live hold about to expire, for the coordinators."""
    zone = contract_zone
    left = max(int((expires_at - now).total_seconds() // 60), 0)
    subject = f"[Readout] Hold expiring in {left} min: {escalation_id}{_customer(customer)}"
    body = "\n".join(
        [
            f"The hold on {times.slot(slot[0], slot[1], zone)} for {escalation_id}{_customer(customer)} "
            f"expires at {times.instant(expires_at, zone)}.",
            "",
            f"Deadline: {_deadline(deadline, zone)}",
            "",
            "What to do: review and confirm the readout on this slot, or release the hold, on the "
            "escalation's page:",
            f"  {link}",
            "If nobody acts, Readout releases the hold when it expires and the slot is free for others.",
        ]
    )
    return Email(subject, body + _footer())


def at_risk_email(
    escalation_id: str,
    customer: str,
    contract_zone: str,
    deadline: datetime,
    now: datetime,
    why: str,
    link: str,
    step: str = "a coordinator holds a slot, re-plans or requests an exception",
) -> Email:
    """An escalation whose contractual deadline is at risk, for the coordinators; ``step``: who must act
    next and how (the deciders, while an exception request is open)."""
    zone = contract_zone
    passed = deadline <= now
    subject = f"[Readout] Deadline {'missed' if passed else 'at risk'}: {escalation_id}{_customer(customer)}"
    body = "\n".join(
        [
            f"The readout for {escalation_id}{_customer(customer)} is not booked and its contractual "
            f"deadline {'has passed' if passed else 'is at risk'}: {why}.",
            "",
            f"Deadline: {_deadline(deadline, zone)}",
            f"As of: {times.instant(now, zone)}",
            "",
            f"Next: {step}:",
            f"  {link}",
            "Readout sends this reminder at most once a day while the readout stays at risk.",
        ]
    )
    return Email(subject, body + _footer())
