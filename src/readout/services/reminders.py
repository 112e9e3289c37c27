"""Reminders the worker writes on its own (``remind``, a step of every worker pass).

For each open escalation (neither confirmed nor cancelled), in one unit of work holding its row lock:

- a live hold expiring within the lead time (``READOUT_REMINDER_LEAD_MINUTES``, default 120) is reminded
  once (the effect's key names the hold);
- with no live hold, a readout whose contractual deadline is at risk is reminded once a day (the contract
  zone's calendar day): less than ``READOUT_AT_RISK_SHARE`` (default 0.25) of the time from the RCA's
  approval to the deadline is left (or the deadline passed), or its latest plan has fewer than
  ``READOUT_AT_RISK_SLOTS`` (default 2) compliant slots still ahead.

A reminder goes to the leadership channel when one is configured (a reply in the thread of the escalation's
latest request message, else a top-level post), else by e-mail to the coordinators (the users holding the
program manager or escalation manager role), else nowhere: nothing is written. It is written as an effect
(``CHANNEL_POST`` or ``NOTIFY_EMAIL``) and delivered by the effect runner like any other; writing it again
records nothing (its key), so no reminder goes out twice.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from readout.config import ReminderSettings, reminder_settings
from readout.domain.channel import ChannelMessage
from readout.domain.escalation import Escalation
from readout.domain.exception_requests import Decision, ExceptionRequest
from readout.domain.holds import Hold
from readout.domain.intervals import utc_text
from readout.domain.lifecycle import State
from readout.domain.users import Role
from readout.errors import ReadoutError
from readout.presentation import slack, times
from readout.services.announcements import _post, _slot, _thread, _zones, public_origin
from readout.services.context import Deps, load_escalation, slot_text
from readout.services.effects import notify_effect
from readout.services.notify import Email, at_risk_email, hold_expiry_email
from readout.services.ports import UnitOfWork
from readout.services.queries import CaseZones

__all__ = ["CLOSED", "COORDINATORS", "at_risk", "remind"]

log = logging.getLogger(__name__)

CLOSED = frozenset({State.CONFIRMED, State.CANCELLED})  # nothing left to remind anyone of
COORDINATORS = frozenset({Role.PROGRAM_MANAGER, Role.ESCALATION_MANAGER})


def remind(deps: Deps, settings: ReminderSettings | None = None) -> int:
    """Write every reminder due now (default settings: this process's environment); how many were
    written. Nothing without a channel or a notifier. One escalation failing does not stop the others."""
    if deps.channel is None and deps.notifier is None:
        return 0
    settings = settings or reminder_settings(os.environ)
    with deps.look() as uow:
        open_ids = [e.id for e in uow.escalations.list() if e.state not in CLOSED]
    written = 0
    for escalation_id in open_ids:
        try:
            written += _remind_one(deps, escalation_id, settings)
        except ReadoutError as failure:  # the next pass tries again
            log.warning("reminders for %s not written: %s", escalation_id, failure)
    return written


@dataclass(frozen=True)
class _Due:
    """One reminder: its key part, what it says (e-mail, channel line) and what its audit entry is about."""

    what: str
    mail: Email
    line: str
    about: dict[str, object]


def _remind_one(deps: Deps, escalation_id: str, settings: ReminderSettings) -> int:
    now = deps.clock()
    with deps.uow() as uow:
        esc = load_escalation(uow, escalation_id)  # its row lock: one worker decides its reminders
        if esc.state in CLOSED:
            return 0
        keys = {e.key for e in uow.effects.of(esc.id)}
        zones = _zones(uow, esc)
        link = f"{public_origin()}/escalations/{esc.id}"
        live = [h for h in uow.holds.of(esc.id) if h.is_live(now)]
        due = [
            _hold_due(esc, zones, hold, now, link)
            for hold in sorted(live, key=lambda h: (h.expires_at, h.id))
            if hold.expires_at - now <= timedelta(minutes=settings.lead_minutes)
        ]
        why = None if live else at_risk(uow, esc, settings, now)
        if why is not None and esc.deadline is not None:
            waiting = next((r for r in uow.exceptions.of(esc.id) if r.decision is Decision.OPEN), None)
            due.append(_at_risk_due(esc, zones, why, now, link, waiting))
        written = sum(_write(deps, uow, esc, item, keys, now) for item in due)
        if written:
            uow.commit()
        return written


def at_risk(uow: UnitOfWork, esc: Escalation, settings: ReminderSettings, now: datetime) -> str | None:
    """Why the escalation's deadline is at risk now (None: it is not, or it has no deadline yet)."""
    if esc.deadline is None:
        return None
    left = esc.deadline - now
    if left <= timedelta(0):
        return f"the deadline passed {_hours(-left)} ago"
    if esc.approved_at is not None:
        whole = esc.deadline - esc.approved_at
        if whole > timedelta(0) and left < whole * settings.at_risk_share:
            return (
                f"{_hours(left)} left of the {_hours(whole)} from the RCA's approval to the deadline "
                f"(less than {settings.at_risk_share:.0%})"
            )
    plan = uow.plans.latest(esc.id)
    ahead = sum(1 for c in plan.candidates if c.start > now) if plan is not None else 0
    if ahead < settings.at_risk_slots:
        return (
            f"the latest plan has {ahead} compliant slot{'' if ahead == 1 else 's'} still ahead "
            f"(fewer than {settings.at_risk_slots})"
        )
    return None


def _hours(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours:.0f} h" if hours >= 1 else f"{span.total_seconds() / 60:.0f} min"


def _hold_due(esc: Escalation, zones: CaseZones, hold: Hold, now: datetime, link: str) -> _Due:
    zone, customer = zones.contract, zones.customer_name
    mail = hold_expiry_email(
        esc.id, customer, zone, esc.deadline, (hold.slot.start, hold.slot.end), hold.expires_at, now, link
    )
    which = f"{esc.id} ({customer})" if customer else esc.id
    line = (
        f"Reminder: the hold on {_slot(hold.slot, zones)} for {which} expires at "
        f"{times.instant(hold.expires_at, zone)}. Next: a coordinator reviews and confirms the readout on "
        f"it, or releases it: {link}. Nothing was decided by this reminder."
    )
    about = {"reminder": "hold_expiry", **slot_text(hold.slot), "expires_at": utc_text(hold.expires_at)}
    return _Due(f"hold:{hold.id}", mail, line, about)


def _at_risk_due(
    esc: Escalation, zones: CaseZones, why: str, now: datetime, link: str, waiting: ExceptionRequest | None
) -> _Due:
    """The deadline-at-risk reminder. While an exception request is open, the next step is its deciders',
    not a coordinator's: the reminder points at the request."""
    assert esc.deadline is not None
    zone, customer = zones.contract, zones.customer_name
    if waiting is not None:
        link = f"{public_origin()}/approvals/{esc.id}/{waiting.id}"
        step = f"the deciders of exception request #{waiting.id} approve a near miss or reject it"
    else:
        step = "a coordinator holds a slot, re-plans or requests an exception"
    mail = at_risk_email(esc.id, customer, zone, esc.deadline, now, why, link, step)
    which = f"{esc.id} ({customer})" if customer else esc.id
    line = (
        f"Reminder: the readout for {which} is not booked and its deadline, "
        f"{times.deadline(esc.deadline, zone)}, is at risk: {why}. Next: {step}: {link}. "
        "Nothing was decided by this reminder."
    )
    day = now.astimezone(times.zone_of(zone)).date().isoformat()
    return _Due(f"at-risk:{day}", mail, line, {"reminder": "deadline_at_risk", "why": why, "day": day})


def _write(deps: Deps, uow: UnitOfWork, esc: Escalation, due: _Due, keys: set[str], now: datetime) -> int:
    """Write one reminder, to the channel or by e-mail; 1 when written now, 0 when written before or there
    is nobody to tell."""
    if deps.channel is not None:
        thread = _thread(deps, uow, esc)
        topic = thread or f"reminder:{esc.id}:{due.what.replace(':', '-')}"
        what = f"remind-{due.what}" if thread else "post"
        if f"channel:{topic}:{what}" in keys:
            return 0
        message = ChannelMessage(
            due.line, ({"type": "section", "text": {"type": "mrkdwn", "text": slack.escape(due.line)}},)
        )
        _post(uow, esc, topic, thread, what, message, now)
        return 1
    key = f"notify:remind:{due.what}"
    if key in keys:
        return 0
    coordinators = [u.id for u in uow.users.list() if u.roles & COORDINATORS and u.email]
    mail = (due.mail.subject, due.mail.body)
    return int(
        notify_effect(uow, esc.id, key, coordinators, mail, ("reminder_sent", due.about), now) is not None
    )
