"""The hold port over a CalDAV collection: ``hold.calendar`` is its ``caldav://`` / ``caldavs://`` URL.

A hold on several people's calendars reaches this port once per calendar (``Hold.on(placement)``: that
calendar's URL, UID and reference); each call is about one collection only.

A hold is one calendar object resource, ``readout-hold-<sha256 of the uid, 32 hex>.ics`` (UIDs hold slashes
and URLs, not fit for a path), containing one VEVENT: UID = ``hold.uid``, UTC times and no VTIMEZONE
(Radicale's vobject misreads some generated ones), STATUS:TENTATIVE, TRANSP:OPAQUE, a neutral SUMMARY,
``X-READOUT-ESCALATION`` and ``X-READOUT-HOLD-EXPIRES``. Never an ATTENDEE or ORGANIZER: a scheduling server
(RFC 6638) would send invitations for them; the readout invitation goes by iMIP, separately, after a human
confirmed. The confirmed event replaces the hold in place (same UID and resource).

Every write is conditional: create with ``If-None-Match: *``, replace and delete with ``If-Match`` on the
ETag we stored (``calendar_ref`` is ``{"etag": ..., "href": ...}`` as JSON). When a condition fails the
resource is read again, and we act on it only while it is still exactly what we wrote (same UID, escalation,
times, status and summary, no attendees, no recurrence): anything else is someone's change, a ``Conflict``,
and is never overwritten or deleted.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from readout.adapters.caldav.collection import CalDavCollection, CalDavConnector, Reply
from readout.config import CredentialStore, OutboundPolicy
from readout.domain.holds import Hold
from readout.domain.intervals import Interval
from readout.domain.invite import InvitePacket
from readout.domain.sources import RemoteSource
from readout.errors import Conflict, SlotTaken
from readout.services.ports import CalendarReader

__all__ = ["HOLD_SUMMARY", "CalDavHoldCalendar", "hold_resource_name"]

HOLD_SUMMARY = "Hold: RCA readout (tentative)"
_ICS = {"Content-Type": "text/calendar; charset=utf-8"}
_DONE, _GONE = frozenset({200, 201, 204}), frozenset({404, 410})


def hold_resource_name(uid: str) -> str:
    """The file name of the hold ``uid`` inside its collection."""
    return f"readout-hold-{hashlib.sha256(uid.encode('utf-8')).hexdigest()[:32]}.ics"


@dataclass(frozen=True, slots=True)
class _Facts:
    """What we wrote into a hold or readout event, as read back; equal facts mean nobody else changed it."""

    uid: str
    escalation: str
    start: datetime | None
    end: datetime | None
    status: str
    summary: str
    plain: bool  # one VEVENT, no recurrence, no ATTENDEE or ORGANIZER


def _expected(hold: Hold, status: str, summary: str) -> _Facts:
    slot = hold.slot
    return _Facts(hold.uid, hold.escalation_id, slot.start, slot.end, status, summary, plain=True)


def _ours(facts: _Facts | None, hold: Hold) -> bool:
    """Whether a stored resource is still exactly the hold we placed, or the readout event it became (a
    cancelled readout is taken off the calendar the same way; its summary is the packet's purpose)."""
    if facts is None:
        return False
    if facts == _expected(hold, "TENTATIVE", HOLD_SUMMARY):
        return True
    return facts.status == "CONFIRMED" and replace(
        facts, status="TENTATIVE", summary=HOLD_SUMMARY
    ) == _expected(hold, "TENTATIVE", HOLD_SUMMARY)


def _facts(data: bytes) -> _Facts | None:
    """The facts of a stored resource; None when it is not iCalendar at all."""
    try:
        calendar = Calendar.from_ical(data)
        events = calendar.walk("VEVENT")
        event = events[0]
        start, end = _utc(event.decoded("DTSTART", None)), _utc(event.decoded("DTEND", None))
    except Exception:  # not ours to interpret: someone else's content
        return None
    extras = ("RRULE", "RDATE", "EXDATE", "RECURRENCE-ID", "ATTENDEE", "ORGANIZER")
    plain = len(events) == 1 and not any(name in event for name in extras)
    return _Facts(
        str(event.get("UID", "")),
        str(event.get("X-READOUT-ESCALATION", "")).strip(),
        start,
        end,
        str(event.get("STATUS", "")).strip().upper(),
        str(event.get("SUMMARY", "")),
        plain,
    )


def _as_hold(data: bytes, calendar: str) -> Hold | None:
    """The hold a stored resource is, when it is exactly one we place (else None: not ours to touch)."""
    facts = _facts(data)
    if facts is None or not facts.escalation or facts.start is None or facts.end is None:
        return None
    slot = Interval(facts.start, facts.end)
    hold = Hold(0, facts.uid, facts.escalation, slot, calendar, facts.start, facts.start)
    return hold if facts == _expected(hold, "TENTATIVE", HOLD_SUMMARY) else None


def _utc(value: object) -> datetime | None:
    if isinstance(value, datetime) and value.utcoffset() is not None:
        return value.astimezone(UTC)
    return None


def _event(hold: Hold, facts: _Facts, stamp: datetime, extra: dict[str, str | int]) -> bytes:
    """One VCALENDAR with one VEVENT carrying ``facts``, in UTC, with no VTIMEZONE and no attendees."""
    event = Event()
    event.add("UID", facts.uid)
    event.add("DTSTAMP", stamp.astimezone(UTC))
    event.add("DTSTART", hold.slot.start.astimezone(UTC))
    event.add("DTEND", hold.slot.end.astimezone(UTC))
    event.add("STATUS", facts.status)
    event.add("TRANSP", "OPAQUE")
    event.add("SUMMARY", facts.summary)
    event.add("X-READOUT-ESCALATION", facts.escalation)
    for name, value in extra.items():
        event.add(name, value)
    calendar = Calendar()
    calendar.add("PRODID", "-//Readout//RCA readout holds//EN")
    calendar.add("VERSION", "2.0")
    calendar.add_component(event)
    text: bytes = calendar.to_ical()
    return text


def _ref(collection: CalDavCollection, name: str, etag: str) -> str:
    return json.dumps({"etag": etag, "href": urlsplit(collection.member(name)).path}, sort_keys=True)


def _stored_etag(hold: Hold, name: str) -> str | None:
    """The ETag in ``hold.calendar_ref`` when it is one of ours for this resource, else None (re-read)."""
    try:
        ref = json.loads(hold.calendar_ref or "")
    except ValueError:
        return None
    if not isinstance(ref, dict) or not str(ref.get("href", "")).endswith(f"/{name}"):
        return None
    etag = ref.get("etag")
    return etag if isinstance(etag, str) and etag else None


class CalDavHoldCalendar:
    """Holds on CalDAV collections. ``reader`` re-checks the slot before placing; ``zone`` is the zone
    floating and all-day events on hold calendars are read in (the hold does not carry its owner's);
    ``policy``: what the operator allows beyond public HTTPS addresses (default: nothing)."""

    def __init__(
        self,
        credentials: CredentialStore,
        timeout: float,
        reader: CalendarReader,
        *,
        zone: ZoneInfo | None = None,
        max_bytes: int = 1_000_000,
        policy: OutboundPolicy | None = None,
    ) -> None:
        self._connector = CalDavConnector(credentials, timeout, max_bytes, policy)
        self._reader = reader
        self._zone = zone or ZoneInfo("UTC")

    def place(self, hold: Hold, zone: ZoneInfo | None = None) -> str:
        """Create the tentative hold; SlotTaken when the slot is busy; the same hold again is idempotent.
        ``zone``: the owner's, for their floating and all-day events (else the zone given at construction)."""
        collection, name = self._connector.open(RemoteSource(hold.calendar)), hold_resource_name(hold.uid)
        self._check_free(hold, collection, zone or self._zone)
        wanted = _expected(hold, "TENTATIVE", HOLD_SUMMARY)
        expires = f"{hold.expires_at.astimezone(UTC):%Y%m%dT%H%M%SZ}"
        body = _event(hold, wanted, hold.placed_at, {"X-READOUT-HOLD-EXPIRES": expires})
        reply = collection.send("PUT", collection.member(name), body, {**_ICS, "If-None-Match": "*"})
        if reply.status in _DONE:
            return _ref(collection, name, reply.etag or self._current_etag(collection, name))
        if reply.status != 412:
            raise collection.refused(reply, "placing a hold")
        found = self._fetch(collection, name)  # already there: our earlier attempt, or someone else's
        if found is not None and _facts(found.body) == wanted:
            return _ref(collection, name, found.etag or "")
        raise Conflict(f"{collection.shown}: another event already sits where the hold {_slot(hold)} goes")

    def release(self, hold: Hold) -> None:
        """Delete the hold (already gone is fine); Conflict when someone changed it since."""
        collection, name = self._connector.open(RemoteSource(hold.calendar)), hold_resource_name(hold.uid)
        etag = _stored_etag(hold, name)
        if etag is not None and self._delete(collection, name, etag):
            return
        found = self._fetch(collection, name)
        if found is None:
            return
        if not _ours(_facts(found.body), hold) or not found.etag:
            raise Conflict(f"{collection.shown}: the hold {_slot(hold)} was changed by someone; left alone")
        if not self._delete(collection, name, found.etag):
            raise Conflict(f"{collection.shown}: the hold {_slot(hold)} changed while being released")

    def confirm(self, hold: Hold, packet: InvitePacket) -> str:
        """Replace the hold with the confirmed readout event (purpose and reference only); its new ref."""
        collection, name = self._connector.open(RemoteSource(hold.calendar)), hold_resource_name(hold.uid)
        confirmed = _expected(hold, "CONFIRMED", packet.purpose)
        extra: dict[str, str | int] = {"SEQUENCE": 1, "DESCRIPTION": f"Reference: {packet.reference}"}
        body = _event(hold, confirmed, datetime.now(UTC), extra)
        etag = _stored_etag(hold, name)
        if etag is not None:
            ref = self._replace(collection, name, body, etag)
            if ref is not None:
                return ref
        found = self._fetch(collection, name)
        facts = _facts(found.body) if found is not None else None
        if found is not None and found.etag and facts == confirmed:
            return _ref(collection, name, found.etag)  # a retried confirmation that had gone through
        if found is None or not found.etag or facts != _expected(hold, "TENTATIVE", HOLD_SUMMARY):
            raise Conflict(f"{collection.shown}: the hold {_slot(hold)} was changed or removed by someone")
        ref = self._replace(collection, name, body, found.etag)
        if ref is None:
            raise Conflict(f"{collection.shown}: the hold {_slot(hold)} changed while being confirmed")
        return ref

    def marked(self, calendar: str, span: Interval) -> list[Hold]:
        """Every untouched tentative hold with Readout's escalation marker on ``calendar`` in ``span``."""
        collection = self._connector.open(RemoteSource(calendar))
        found = []
        for text in collection.calendar_data(span):
            hold = _as_hold(text.encode("utf-8"), calendar)
            if hold is not None:
                found.append(hold)
        return found

    def _check_free(self, hold: Hold, collection: CalDavCollection, zone: ZoneInfo) -> None:
        busy = self._reader.busy(
            collection.source,
            window=hold.slot,
            zone=zone,
            tentative_is_busy=True,
            exclude_escalation=hold.escalation_id,
        )
        if any(block.overlaps(hold.slot) for block in busy):
            raise SlotTaken(f"{collection.shown} is busy at {_slot(hold)}")

    def _delete(self, collection: CalDavCollection, name: str, etag: str) -> bool:
        """Delete if unchanged: True when done or already gone, False when the ETag no longer matches."""
        reply = collection.send("DELETE", collection.member(name), headers={"If-Match": etag})
        if reply.status in _DONE | _GONE:
            return True
        if reply.status == 412:
            return False
        raise collection.refused(reply, "releasing a hold")

    def _replace(self, collection: CalDavCollection, name: str, body: bytes, etag: str) -> str | None:
        """Overwrite if unchanged: the new ref, or None when the ETag no longer matches (or it is gone)."""
        reply = collection.send("PUT", collection.member(name), body, {**_ICS, "If-Match": etag})
        if reply.status in _DONE:
            return _ref(collection, name, reply.etag or self._current_etag(collection, name))
        if reply.status in _GONE | {412}:
            return None
        raise collection.refused(reply, "confirming a hold")

    def _fetch(self, collection: CalDavCollection, name: str) -> Reply | None:
        reply = collection.send("GET", collection.member(name))
        if reply.status in _GONE:
            return None
        if reply.status != 200:
            raise collection.refused(reply, "reading a hold")
        return reply

    def _current_etag(self, collection: CalDavCollection, name: str) -> str:
        """The ETag after a write that did not return one (RFC 4791 allows that when the server changed
        the data); empty when the resource is gone again, so the next conditional request re-reads it."""
        found = self._fetch(collection, name)
        return (found.etag or "") if found is not None else ""


def _slot(hold: Hold) -> str:
    return f"{hold.slot.start.astimezone(UTC):%Y-%m-%d %H:%M}Z"
