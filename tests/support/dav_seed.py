"""Put plain .ics files onto a CalDAV server: one resource per UID (as CalDAV requires), with their time zones."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
from icalendar import Calendar

from tests.support.dav_servers import DavServer

__all__ = ["make_calendar", "upload_ics"]


def _client(server: DavServer) -> httpx.Client:
    auth = (server.username, server.password or "") if server.username else None
    return httpx.Client(auth=auth, timeout=10)


def make_calendar(server: DavServer, name: str) -> str:
    """Create the calendar collection ``name``; return its ``caldav://`` URL for a case file."""
    with _client(server) as client:
        reply = client.request("MKCALENDAR", server.collection_url(name))
        assert reply.status_code == 201, reply.text
    return server.caldav_url(name)


def upload_ics(server: DavServer, name: str, ics: Path | bytes) -> int:
    """Store every event of ``ics`` in collection ``name``, one resource per UID; return how many."""
    source = Calendar.from_ical(ics.read_bytes() if isinstance(ics, Path) else ics)
    zones = [c for c in source.subcomponents if c.name == "VTIMEZONE"]
    by_uid: dict[str, list[object]] = {}
    for component in source.subcomponents:
        if component.name in ("VEVENT", "VFREEBUSY"):
            by_uid.setdefault(str(component.get("UID")), []).append(component)
    with _client(server) as client:
        for uid, components in by_uid.items():
            resource = Calendar()
            resource.add("PRODID", "-//Readout tests//EN")
            resource.add("VERSION", "2.0")
            for component in [*zones, *components]:
                resource.add_component(component)  # type: ignore[arg-type]
            href = server.collection_url(name) + hashlib.sha256(uid.encode()).hexdigest()[:24] + ".ics"
            reply = client.put(href, content=resource.to_ical(), headers={"Content-Type": "text/calendar"})
            assert reply.status_code in (201, 204), reply.text
    return len(by_uid)
