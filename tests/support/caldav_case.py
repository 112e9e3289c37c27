"""The Globex example with every calendar on a CalDAV server, and what Readout put on a calendar there."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from icalendar import Calendar, Event

from tests.support.dav_seed import make_calendar, upload_ics
from tests.support.dav_servers import DavServer

__all__ = ["caldav_case", "events_in", "readout_events"]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "globex-sso-outage"
PEOPLE = {"dana": "dana.ics", "ravi": "ravi.ics", "mei": "mei.ics", "sam": "sam.ics", "ana": "ana.ics"}


def caldav_case(dav: DavServer, folder: Path) -> Path:
    """Write the Globex case with every calendar moved onto ``dav``; its path."""
    text = (EXAMPLE / "case.yaml").read_text()
    for person, file in [*PEOPLE.items(), ("cab", "globex-cab.ics")]:
        url = make_calendar(dav, person)
        upload_ics(dav, person, EXAMPLE / "calendars" / file)
        text = text.replace(f"calendars/{file}", url)
    path = folder / "case.yaml"
    path.write_text(text)
    return path


def events_in(dav: DavServer, name: str) -> list[Event]:
    """The first VEVENT of every calendar object resource in collection ``name``."""
    auth = (dav.username, dav.password or "") if dav.username else None
    body = """<?xml version="1.0"?><c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
      <d:prop><c:calendar-data/></d:prop><c:filter><c:comp-filter name="VCALENDAR"/></c:filter></c:calendar-query>"""
    reply = httpx.request(
        "REPORT",
        dav.collection_url(name),
        content=body,
        auth=auth,
        headers={"Depth": "1", "Content-Type": "application/xml"},
    )
    found = re.findall(r"<[^>]*calendar-data[^>]*>(.*?)</[^>]*calendar-data>", reply.text, re.S)
    text = [chunk.replace("&#13;", "\r").replace("&lt;", "<").replace("&gt;", ">") for chunk in found]
    return [Calendar.from_ical(chunk).walk("VEVENT")[0] for chunk in text]


def readout_events(dav: DavServer, name: str) -> list[tuple[str, str]]:
    """(UID, STATUS) of every event carrying Readout's escalation marker in collection ``name``, by UID."""
    return sorted(
        (str(e["UID"]), str(e.get("STATUS"))) for e in events_in(dav, name) if e.get("X-READOUT-ESCALATION")
    )
