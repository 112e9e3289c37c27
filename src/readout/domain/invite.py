"""The invite packet: what a customer-facing invite will say, prepared for human review before it is sent.

It carries the purpose, the roles and names, the modality and the times in every attendee's own zone, with the
escalation id as a reference. Never the internal summary or any incident detail.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from readout.domain.audit import canonical_json
from readout.domain.intervals import Interval
from readout.domain.names import ROLES

if TYPE_CHECKING:
    from readout.domain.case import Case

__all__ = [
    "Invitation",
    "InviteAttendee",
    "InvitePacket",
    "build_packet",
    "invitation_uid",
    "packet_from_dict",
]


@dataclass(frozen=True)
class InviteAttendee:
    """One required attendee with the slot in their own time zone."""

    role: str
    name: str
    email: str
    timezone: str
    local_start: str
    local_end: str


@dataclass(frozen=True)
class InvitePacket:
    """The reviewed content of the invite."""

    reference: str
    purpose: str
    modality: str
    start_utc: str
    end_utc: str
    attendees: tuple[InviteAttendee, ...]

    def as_dict(self) -> dict[str, object]:
        """Plain data, for JSON and hashing."""
        return asdict(self)

    @property
    def digest(self) -> str:
        """SHA-256 of the canonical packet: what the confirming human saw."""
        return hashlib.sha256(canonical_json(self.as_dict()).encode("utf-8")).hexdigest()


def packet_from_dict(data: dict[str, Any]) -> InvitePacket:
    """The packet ``as_dict`` gave (as stored with an effect); the digest is the same."""
    attendees = tuple(InviteAttendee(**a) for a in data["attendees"])
    return InvitePacket(**{**data, "attendees": attendees})


def _attendee(role: str, name: str, email: str, zone: ZoneInfo, slot: Interval) -> InviteAttendee:
    fmt = "%Y-%m-%d %H:%M %Z"
    start, end = slot.start.astimezone(zone).strftime(fmt), slot.end.astimezone(zone).strftime(fmt)
    return InviteAttendee(role, name, email, zone.key, start, end)


def build_packet(case: Case, slot: Interval, interpreter_id: str | None) -> InvitePacket:
    """The packet for ``slot``: required roles (and the interpreter) only; no incident details."""
    attendees = []
    for role in ROLES:
        person = case.people[case.roles[role] or ""]
        attendees.append(_attendee(role, person.name, person.email, person.zone, slot))
    interp = next((i for i in case.interpreters if i.id == interpreter_id), None)
    if interp is not None:
        attendees.append(_attendee("interpreter", interp.name, interp.email, interp.zone, slot))
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return InvitePacket(
        reference=case.escalation_id,
        purpose=f"Root-cause analysis readout, {case.customer_name}",
        modality=case.readout.modality,
        start_utc=slot.start.strftime(fmt),
        end_utc=slot.end.strftime(fmt),
        attendees=tuple(attendees),
    )


@dataclass(frozen=True)
class Invitation:
    """An iMIP message to send for a reviewed packet: METHOD:REQUEST on confirmation, CANCEL on withdrawal."""

    packet: InvitePacket
    method: str  # "REQUEST" or "CANCEL"
    uid: str
    sequence: int
    organizer_name: str
    organizer_email: str


def invitation_uid(escalation_id: str) -> str:
    """One stable UID per readout, so that updates and cancellations replace the same event."""
    return f"readout-{escalation_id.lower()}@readout.invalid"
