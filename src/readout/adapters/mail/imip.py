"""iMIP (RFC 6047): a reviewed invite packet as an email carrying an iTIP REQUEST or CANCEL.

Everything in the message comes from the packet (purpose, reference, roles, names, times), so nothing the
packet leaves out (the internal summary, incident details, other people's events) can reach a customer.

Choices:

* An attendee without a usable email address cannot be invited: ``UninvitableAttendee`` (a ``Refused``)
  names the role before anything is built, so nobody gets an invite that leaves a role out.
* One ATTENDEE per address: when one person holds two roles they are listed once (the first role wins the
  ATTENDEE line; DESCRIPTION still names every role).
* A CANCEL asks for no reply (``RSVP=FALSE``); a REQUEST asks every attendee (``RSVP=TRUE``).
* When the SMTP sender is not the organizer, ORGANIZER carries ``SENT-BY`` (RFC 5545 section 3.2.18) and
  the message a ``Reply-To`` of the organizer, so clients show "sent on behalf of" and replies go home.
* The message is 7-bit clean (``cte_type="7bit"``): non-ASCII names are encoded, so any relay accepts it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

from icalendar import Calendar, Event, vCalAddress
from icalendar.enums import STATUS

from readout.domain.invite import Invitation, InviteAttendee, InvitePacket
from readout.errors import Refused

__all__ = ["PRODID", "UninvitableAttendee", "build_calendar", "build_message", "recipients"]

PRODID = "-//Readout//Readout invitations//EN"
_STATUS = {"REQUEST": STATUS.CONFIRMED, "CANCEL": STATUS.CANCELLED}
_SUBJECT = {"REQUEST": "Invitation", "CANCEL": "Cancelled"}
_POLICY = SMTP.clone(cte_type="7bit")


@dataclass
class UninvitableAttendee(Refused):
    """An attendee of the packet has no usable email address; nothing was built or sent."""

    role: str
    name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.role} ({self.name}) cannot be invited: {self.reason}"


def build_calendar(invitation: Invitation, now: datetime, *, sent_by: str | None = None) -> bytes:
    """The iTIP VCALENDAR (METHOD:REQUEST or CANCEL, one VEVENT), folded per RFC 5545."""
    packet = invitation.packet
    _check(invitation)
    organizer = vCalAddress.new(invitation.organizer_email, cn=invitation.organizer_name)
    if sent_by and sent_by.lower() != invitation.organizer_email.lower():
        organizer.params["SENT-BY"] = f"mailto:{sent_by}"
    event = Event.new(
        uid=invitation.uid,
        sequence=invitation.sequence,
        stamp=_utc(now).replace(microsecond=0),
        start=_instant(packet.start_utc),
        end=_instant(packet.end_utc),
        summary=packet.purpose,
        description=_description(packet),
        organizer=organizer,
        attendees=_attendees(packet, rsvp=invitation.method == "REQUEST"),
        status=_STATUS[invitation.method],
    )
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", invitation.method)
    calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical


def build_message(invitation: Invitation, sender: str, now: datetime) -> EmailMessage:
    """The iMIP email: a text/plain summary and the calendar as ``text/calendar; method=...`` (RFC 6047
    section 2.4), with the same calendar attached as ``invite.ics`` for clients that only see attachments."""
    calendar = build_calendar(invitation, now, sent_by=sender)
    packet, method = invitation.packet, invitation.method
    message = EmailMessage(policy=_POLICY)
    message["From"] = Address(display_name=invitation.organizer_name, addr_spec=sender)
    if sender.lower() != invitation.organizer_email.lower():
        message["Reply-To"] = Address(invitation.organizer_name, addr_spec=invitation.organizer_email)
    message["To"] = [Address(a.name, addr_spec=a.email) for a in _unique(packet.attendees)]
    message["Subject"] = f"{_SUBJECT[method]}: {packet.purpose}"
    message["Date"] = format_datetime(_utc(now))
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "readout.invalid")
    message.set_content(_plain_text(invitation), charset="utf-8")
    message.add_alternative(
        calendar.decode("utf-8"),
        subtype="calendar",
        charset="utf-8",
        cte="7bit" if calendar.isascii() else "base64",  # quoted-printable would mangle every "="
        params={"method": method},
    )
    message.add_attachment(calendar, maintype="application", subtype="ics", filename="invite.ics")
    return message


def recipients(invitation: Invitation) -> list[str]:
    """Every attendee's address, once each, in packet order (the SMTP envelope)."""
    _check(invitation)
    return [a.email for a in _unique(invitation.packet.attendees)]


def _check(invitation: Invitation) -> None:
    if invitation.method not in _STATUS:
        raise ValueError(f"invitation method {invitation.method!r}: expected REQUEST or CANCEL")
    for attendee in invitation.packet.attendees:
        if not attendee.email.strip():
            raise UninvitableAttendee(attendee.role, attendee.name, "no email address")
        try:
            Address(attendee.name, addr_spec=attendee.email)
        except ValueError:
            raise UninvitableAttendee(attendee.role, attendee.name, "not a valid email address") from None


def _attendees(packet: InvitePacket, *, rsvp: bool) -> list[vCalAddress]:
    return [
        vCalAddress.new(
            a.email,
            cn=a.name,
            cutype="INDIVIDUAL",
            role="REQ-PARTICIPANT",
            partstat="NEEDS-ACTION",
            rsvp=rsvp,
        )
        for a in _unique(packet.attendees)
    ]


def _unique(attendees: tuple[InviteAttendee, ...]) -> list[InviteAttendee]:
    seen: set[str] = set()
    kept = []
    for attendee in attendees:
        if attendee.email.lower() not in seen:
            seen.add(attendee.email.lower())
            kept.append(attendee)
    return kept


def _schedule(packet: InvitePacket) -> list[str]:
    """Two lines per role: who (and their zone), then the slot in that zone."""
    lines = []
    for a in packet.attendees:
        lines.append(f"{a.role.replace('_', ' ').capitalize()}: {a.name} ({a.timezone})")
        lines.append(f"  {a.local_start} to {a.local_end}")
    return lines


def _description(packet: InvitePacket) -> str:
    return "\n".join([f"Reference: {packet.reference}", "", *_schedule(packet)])


def _plain_text(invitation: Invitation) -> str:
    packet = invitation.packet
    heading = "This meeting is cancelled." if invitation.method == "CANCEL" else "You are invited."
    lines = [packet.purpose, "", heading, "", "When, in each attendee's own time zone:", ""]
    lines += [f"  {line}" for line in _schedule(packet)]
    lines += ["", f"Reference: {packet.reference}"]
    return "\n".join(lines) + "\n"


def _instant(text: str) -> datetime:
    """A packet time (``2026-11-17T16:00:00Z``) as an aware UTC datetime."""
    moment = datetime.fromisoformat(text)
    if moment.utcoffset() is None:
        raise ValueError(f"packet time {text!r}: expected a UTC time ending in Z")
    return moment.astimezone(UTC)


def _utc(now: datetime) -> datetime:
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(UTC)
