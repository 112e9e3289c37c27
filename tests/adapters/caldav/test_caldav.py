"""CalDAV busy time and holds against real servers: Radicale and Xandikos on 127.0.0.1, started per module.

Events are written with python-caldav (a different HTTP stack from the adapter's), read back through
``CalDavReader`` and compared with intervals worked out by hand (the same ones ``test_ics.py`` proves for the
local files). Hold tests look at what the server stores: one tentative VEVENT, no attendees, conditional writes
that never overwrite someone else's change.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from caldav.collection import Calendar as DavCalendar
from caldav.davclient import DAVClient
from icalendar import Calendar, Component, Event

from readout.adapters.caldav.busy import CalDavReader
from readout.adapters.caldav.collection import CalDavCollection, Reply
from readout.adapters.caldav.holds import HOLD_SUMMARY, CalDavHoldCalendar, hold_resource_name
from readout.config import Credentials, CredentialStore
from readout.domain.holds import Hold, hold_uid
from readout.domain.intervals import Interval
from readout.domain.invite import InviteAttendee, InvitePacket
from readout.domain.sources import RemoteSource
from readout.errors import Conflict, SlotTaken, SourceUnavailable
from tests.support.dav_servers import (
    DAV_SERVERS,
    LOOPBACK,
    DavServer,
    free_port,
    stub_server,
    throwaway_dav_server,
)

CALENDARS = Path(__file__).resolve().parents[2] / "calendars"
CHICAGO, KOLKATA = ZoneInfo("America/Chicago"), ZoneInfo("Asia/Kolkata")
TIMEOUT = 5.0
ESCALATION, OTHER_ESCALATION = "ESC-48213", "ESC-50001"


def at(text: str) -> datetime:
    """A UTC instant from ``YYYY-MM-DDTHH:MM``."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def iv(start: str, end: str) -> Interval:
    return Interval(at(start), at(end))


# --- Servers and collections --------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=DAV_SERVERS)
def server(request: pytest.FixtureRequest) -> Iterator[DavServer]:
    with throwaway_dav_server(request.param) as running:
        yield running


@dataclass(frozen=True)
class Collection:
    """A fresh calendar collection: as a case file names it, over http, and a caldav client on it."""

    url: str
    http_url: str
    dav: DAVClient

    def write(self, name: str, ical: str | bytes) -> None:
        """Store one calendar object resource the way any client would (no preconditions)."""
        text = ical.decode() if isinstance(ical, bytes) else ical
        status = self.dav.put(self.http_url + name, text, {"Content-Type": "text/calendar"}).status
        assert status in (201, 204)

    def stored(self) -> list[Calendar]:
        """Every calendar object in the collection, parsed."""
        events = DavCalendar(client=self.dav, url=self.http_url).events()
        assert isinstance(events, list)  # the synchronous client
        return [Calendar.from_ical(event.data) for event in events]

    def change(self, hold: Hold, edit: Callable[[Component], None]) -> None:
        """Someone else edits the hold's event in their client (read, modify, save)."""
        event = DavCalendar(client=self.dav, url=self.http_url).event_by_url(
            self.http_url + hold_resource_name(hold.uid)
        )
        event.load()
        edit(event.icalendar_component)
        event.save()


@pytest.fixture
def collection(server: DavServer, request: pytest.FixtureRequest) -> Iterator[Collection]:
    name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:60]
    with DAVClient(
        url=server.base_url + server.home,
        username=server.username,
        password=server.password,
        enable_rfc6764=False,
        timeout=10,
    ) as dav:
        assert dav.mkcalendar(server.collection_url(name)).status == 201
        yield Collection(server.caldav_url(name), server.collection_url(name), dav)


def credentials_for(server: DavServer) -> CredentialStore:
    if server.username is None:
        return CredentialStore()
    return CredentialStore({f"{server.base_url}/": Credentials(server.username, server.password or "")})


@pytest.fixture
def reader(server: DavServer) -> CalDavReader:
    return CalDavReader(credentials_for(server), TIMEOUT, policy=LOOPBACK)


@pytest.fixture
def holds(server: DavServer, reader: CalDavReader) -> CalDavHoldCalendar:
    return CalDavHoldCalendar(credentials_for(server), TIMEOUT, reader, policy=LOOPBACK)


def busy(
    reader: CalDavReader,
    url: str,
    window: Interval,
    *,
    zone: ZoneInfo = CHICAGO,
    tentative: bool = True,
    exclude: str | None = None,
) -> list[Interval]:
    source = RemoteSource(url)
    return list(
        reader.busy(source, window=window, zone=zone, tentative_is_busy=tentative, exclude_escalation=exclude)
    )


def resources(path: Path) -> list[bytes]:
    """A file's events as CalDAV stores them: one VCALENDAR per UID, with the file's VTIMEZONEs."""
    calendar = Calendar.from_ical(path.read_bytes())
    zones = [c for c in calendar.subcomponents if c.name == "VTIMEZONE"]
    by_uid: dict[str, list[Component]] = {}
    for component in calendar.subcomponents:
        if component.name == "VEVENT":
            by_uid.setdefault(str(component["UID"]), []).append(component)
    out = []
    for events in by_uid.values():
        one = Calendar()
        one.add("VERSION", "2.0")
        one.add("PRODID", "-//Readout tests//split by UID//EN")
        for component in [*zones, *events]:
            one.add_component(component)
        out.append(one.to_ical())
    return out


def event_text(uid: str, start: datetime, end: datetime) -> bytes:
    """Someone else's event, as icalendar writes it (with a generated VTIMEZONE for a zoned start)."""
    event = Event()
    event.add("UID", uid)
    event.add("DTSTAMP", at("2026-06-01T00:00"))
    event.add("DTSTART", start)
    event.add("DTEND", end)
    event.add("SUMMARY", "Customer call")
    calendar = Calendar()
    calendar.add("VERSION", "2.0")
    calendar.add("PRODID", "-//Someone else//EN")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    text: bytes = calendar.to_ical()
    return text


def upload(collection: Collection, *names: str) -> None:
    for name in names:
        for number, resource in enumerate(resources(CALENDARS / name)):
            collection.write(f"{Path(name).stem}-{number}.ics", resource)


# --- Busy time read back ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "window", "zone", "expected"),
    [
        pytest.param(  # Tue/Thu 10:00 New York (EST, 15:00Z), EXDATE Nov 5 and 10, UNTIL Nov 24 04:59:59Z
            "google-recurring-with-exdate.ics",
            iv("2026-11-02T00:00", "2026-11-30T00:00"),
            CHICAGO,
            [
                iv("2026-11-03T15:00", "2026-11-03T16:00"),
                iv("2026-11-12T15:00", "2026-11-12T16:00"),
                iv("2026-11-17T15:00", "2026-11-17T16:00"),
                iv("2026-11-19T15:00", "2026-11-19T16:00"),
            ],
            id="rrule-exdate-until-vtimezone",
        ),
        pytest.param(  # Tue 14:00 New York; Oct 27 moved into the window, Nov 10 moved, Nov 17 moved out
            "recurrence-id-override-moves-occurrence.ics",
            iv("2026-11-02T00:00", "2026-11-23T00:00"),
            CHICAGO,
            [
                iv("2026-11-03T19:00", "2026-11-03T20:00"),
                iv("2026-11-04T14:00", "2026-11-04T15:00"),
                iv("2026-11-11T21:00", "2026-11-11T21:30"),
            ],
            id="overrides-move-occurrences",
        ),
        pytest.param(  # 15:00 Kolkata (+5:30); 09:00 Lord Howe in its +11:00 half-hour daylight time
            "icalendar-generated-vtimezone.ics",
            iv("2026-11-02T00:00", "2026-11-16T00:00"),
            CHICAGO,
            [iv("2026-11-03T09:30", "2026-11-03T11:00"), iv("2026-11-03T22:00", "2026-11-03T23:00")],
            id="generated-vtimezones",
        ),
        pytest.param(  # all-day Fridays from Nov 6, Nov 13 excluded, UNTIL Nov 27: Chicago midnight is 06:00Z
            "all-day-weekly-series.ics",
            iv("2026-11-02T00:00", "2026-12-05T00:00"),
            CHICAGO,
            [
                iv("2026-11-06T06:00", "2026-11-07T06:00"),
                iv("2026-11-20T06:00", "2026-11-21T06:00"),
                iv("2026-11-27T06:00", "2026-11-28T06:00"),
            ],
            id="all-day-series-in-the-owners-zone",
        ),
        pytest.param(  # 09:00 floating, read in Kolkata: 03:30Z
            "floating-time.ics",
            iv("2026-11-02T00:00", "2026-11-16T00:00"),
            KOLKATA,
            [iv("2026-11-05T03:30", "2026-11-05T04:30")],
            id="floating-in-the-owners-zone",
        ),
    ],
)
def test_busy_time_read_back_equals_what_was_written(
    reader: CalDavReader,
    collection: Collection,
    name: str,
    window: Interval,
    zone: ZoneInfo,
    expected: list[Interval],
) -> None:
    upload(collection, name)
    assert busy(reader, collection.url, window, zone=zone) == expected


def test_europe_dublin_vtimezone_generated_by_icalendar_reads_back_exactly(
    reader: CalDavReader, collection: Collection
) -> None:
    # icalendar writes Dublin with a "negative DST" (IST is standard, GMT the -1h "daylight"); Radicale's
    # vobject misreads such zones. 10:00-11:00 local: July (IST, +1) 09:00Z; November (GMT) 10:00Z.
    dublin = ZoneInfo("Europe/Dublin")
    for number, day in enumerate(
        [datetime(2026, 7, 1, 10, tzinfo=dublin), datetime(2026, 11, 4, 10, tzinfo=dublin)]
    ):
        text = event_text(f"dublin-{number}@readout.test", day, day + timedelta(hours=1))
        assert b"BEGIN:VTIMEZONE" in text
        collection.write(f"dublin-{number}.ics", text)
    assert busy(reader, collection.url, iv("2026-06-01T00:00", "2026-12-01T00:00")) == [
        iv("2026-07-01T09:00", "2026-07-01T10:00"),
        iv("2026-11-04T10:00", "2026-11-04T11:00"),
    ]


def test_floating_event_at_the_edge_of_the_window_is_not_lost_to_the_servers_utc_reading(
    reader: CalDavReader, collection: Collection
) -> None:
    # 09:00-10:00 floating is 03:30Z-04:30Z in Kolkata, but a server filtering by time range reads it as
    # 09:00Z, outside a window ending at 04:00Z: the query asks for a day more on each side.
    upload(collection, "floating-time.ics")
    window = iv("2026-11-05T00:00", "2026-11-05T04:00")
    assert busy(reader, collection.url, window, zone=KOLKATA) == [iv("2026-11-05T03:30", "2026-11-05T04:00")]


def test_blackouts_count_transparent_and_tentative_events_that_busy_time_ignores(
    reader: CalDavReader, collection: Collection
) -> None:
    upload(collection, "transparent-event.ics", "tentative-event.ics")
    window = iv("2026-11-02T00:00", "2026-11-16T00:00")
    # transparent.ics: Nov 3 14-15Z transparent, Nov 4 14-15Z opaque; tentative.ics: Nov 3 tentative, Nov 4.
    assert busy(reader, collection.url, window, tentative=False) == [
        iv("2026-11-04T14:00", "2026-11-04T15:00")
    ]
    blackouts = reader.blackouts(RemoteSource(collection.url), window=window, zone=CHICAGO)
    assert list(blackouts) == [
        iv("2026-11-03T14:00", "2026-11-03T15:00"),
        iv("2026-11-04T14:00", "2026-11-04T15:00"),
    ]


def test_empty_calendar_is_free(reader: CalDavReader, collection: Collection) -> None:
    assert busy(reader, collection.url, iv("2026-11-02T00:00", "2026-11-16T00:00")) == []


# --- Holds ----------------------------------------------------------------------------------------------------

SLOT = iv("2026-11-05T15:00", "2026-11-05T16:00")


def hold_on(collection: Collection, slot: Interval = SLOT, escalation: str = ESCALATION) -> Hold:
    placed = at("2026-11-02T09:00")
    uid = hold_uid(escalation, slot, collection.url)
    return Hold(0, uid, escalation, slot, collection.url, placed, placed + timedelta(hours=48))


def with_ref(hold: Hold, ref: str | None) -> Hold:
    return replace(hold, calendar_ref=ref)


def only_event(collection: Collection) -> Component:
    [calendar] = collection.stored()
    [event] = calendar.walk("VEVENT")
    return event


def test_place_stores_one_tentative_event_with_no_attendees(
    holds: CalDavHoldCalendar, collection: Collection
) -> None:
    hold = hold_on(collection)
    ref = json.loads(holds.place(hold))
    assert ref["href"] == urlsplit(collection.http_url).path + hold_resource_name(hold.uid)
    assert ref["etag"]
    [calendar] = collection.stored()
    assert [c.name for c in calendar.subcomponents] == ["VEVENT"]  # no VTIMEZONE
    event = only_event(collection)
    assert str(event["UID"]) == hold.uid
    assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (SLOT.start, SLOT.end)
    assert (str(event["STATUS"]), str(event["TRANSP"]), str(event["SUMMARY"])) == (
        "TENTATIVE",
        "OPAQUE",
        HOLD_SUMMARY,
    )
    assert str(event["X-READOUT-ESCALATION"]) == ESCALATION
    assert str(event["X-READOUT-HOLD-EXPIRES"]) == "20261104T090000Z"
    assert not {"ATTENDEE", "ORGANIZER", "DESCRIPTION"} & set(event)


def test_retried_place_of_the_same_hold_returns_the_same_ref(
    holds: CalDavHoldCalendar, collection: Collection
) -> None:
    hold = hold_on(collection)
    assert holds.place(hold) == holds.place(hold)
    assert len(collection.stored()) == 1


def test_place_where_another_event_occupies_the_holds_resource_is_a_conflict(
    holds: CalDavHoldCalendar, collection: Collection
) -> None:
    hold = hold_on(collection)
    collection.write(hold_resource_name(hold.uid), resources(CALENDARS / "floating-time.ics")[0])
    with pytest.raises(Conflict):
        holds.place(hold)
    assert str(only_event(collection)["UID"]) == "floating@readout.test"


def test_concurrent_places_of_the_same_hold_leave_exactly_one_event(
    holds: CalDavHoldCalendar, collection: Collection, monkeypatch: pytest.MonkeyPatch
) -> None:
    hold = hold_on(collection)
    puts: list[int] = []
    send = CalDavCollection.send

    def recording(self: CalDavCollection, method: str, *args: object, **kwargs: object) -> Reply:
        reply = send(self, method, *args, **kwargs)  # type: ignore[arg-type]
        if method == "PUT":
            puts.append(reply.status)
        return reply

    monkeypatch.setattr(CalDavCollection, "send", recording)
    start = threading.Barrier(2)
    outcomes: list[str | Exception] = []

    def place() -> None:
        start.wait()
        try:
            outcomes.append(holds.place(hold))
        except Conflict as conflict:
            outcomes.append(conflict)

    threads = [threading.Thread(target=place) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(puts) == [201, 412]
    refs = [o for o in outcomes if isinstance(o, str)]
    assert len(outcomes) == 2
    assert len(set(refs)) == 1  # both got the same ref, or the loser a Conflict
    assert len(collection.stored()) == 1


def test_release_deletes_the_hold_and_releasing_again_is_fine(
    holds: CalDavHoldCalendar, collection: Collection
) -> None:
    hold = hold_on(collection)
    placed = with_ref(hold, holds.place(hold))
    holds.release(placed)
    assert collection.stored() == []
    holds.release(placed)
    holds.release(with_ref(hold, None))


def test_release_without_a_stored_ref_finds_the_hold_by_its_uid(
    holds: CalDavHoldCalendar, collection: Collection
) -> None:
    hold = hold_on(collection)
    holds.place(hold)
    holds.release(with_ref(hold, None))
    assert collection.stored() == []


def test_release_with_a_stale_etag_after_someone_edited_the_event_is_a_conflict_and_leaves_it(
    holds: CalDavHoldCalendar, collection: Collection
) -> None:
    hold = hold_on(collection)
    placed = with_ref(hold, holds.place(hold))
    collection.change(hold, lambda event: event.__setitem__("SUMMARY", "Lunch with Ana (kept the slot)"))
    with pytest.raises(Conflict):
        holds.release(placed)
    assert str(only_event(collection)["SUMMARY"]) == "Lunch with Ana (kept the slot)"


def test_release_after_a_client_only_touched_its_own_properties_deletes_with_the_fresh_etag(
    holds: CalDavHoldCalendar, collection: Collection
) -> None:
    hold = hold_on(collection)
    placed = with_ref(hold, holds.place(hold))
    collection.change(hold, lambda event: event.add("X-MOZ-LASTACK", at("2026-11-03T08:00")))
    holds.release(placed)
    assert collection.stored() == []


def test_a_slot_booked_by_someone_else_refuses_holds_and_our_own_holds_are_busy_only_for_others(
    holds: CalDavHoldCalendar, reader: CalDavReader, collection: Collection
) -> None:
    week = iv("2026-11-02T00:00", "2026-11-09T00:00")
    holds.place(hold_on(collection))
    assert busy(reader, collection.url, week, exclude=ESCALATION) == []
    assert busy(reader, collection.url, week, exclude=OTHER_ESCALATION) == [SLOT]
    assert busy(reader, collection.url, week, exclude=None) == [SLOT]
    with pytest.raises(SlotTaken):  # our hold, for another escalation: taken
        holds.place(hold_on(collection, iv("2026-11-05T15:30", "2026-11-05T16:30"), OTHER_ESCALATION))
    booked = iv("2026-11-05T16:00", "2026-11-05T17:00")
    collection.write("customer-call.ics", event_text("customer-call@example.com", booked.start, booked.end))
    with pytest.raises(SlotTaken):
        holds.place(hold_on(collection, iv("2026-11-05T16:30", "2026-11-05T17:30")))
    assert busy(reader, collection.url, week, exclude=ESCALATION) == [booked]
    assert len(collection.stored()) == 2  # the refused holds wrote nothing


def test_the_slot_check_reads_the_owners_all_day_events_on_their_own_local_date(
    holds: CalDavHoldCalendar, collection: Collection
) -> None:
    # A day off on Thursday 5 November in Chicago (UTC-6): 06:00Z on the 5th to 06:00Z on the 6th.
    event = Event()
    event.add("UID", "day-off@example.com")
    event.add("DTSTAMP", at("2026-06-01T00:00"))
    event.add("DTSTART", date(2026, 11, 5))
    event.add("DTEND", date(2026, 11, 6))
    calendar = Calendar()
    calendar.add("PRODID", "-//Readout tests//EN")
    calendar.add("VERSION", "2.0")
    calendar.add_component(event)
    collection.write("day-off.ics", calendar.to_ical())
    wednesday_evening = iv("2026-11-05T02:00", "2026-11-05T03:00")  # 20:00 on the 4th in Chicago
    thursday_evening = iv("2026-11-06T03:00", "2026-11-06T04:00")  # 21:00 on the 5th in Chicago
    holds.place(hold_on(collection, wednesday_evening), CHICAGO)  # free there, though the 5th in UTC
    with pytest.raises(SlotTaken):  # still the 5th in Chicago, though the 6th in UTC
        holds.place(hold_on(collection, thursday_evening), CHICAGO)
    assert len(collection.stored()) == 2  # the day off and one hold


PACKET = InvitePacket(
    reference=ESCALATION,
    purpose="Root-cause analysis readout, Globex",
    modality="video",
    start_utc="2026-11-05T15:00:00Z",
    end_utc="2026-11-05T16:00:00Z",
    attendees=(
        InviteAttendee("customer_executive", "Ana Lima", "ana@globex.example", "America/Sao_Paulo", "", ""),
        InviteAttendee(
            "escalation_manager", "Dana Ortiz", "dana@provider.example", "America/New_York", "", ""
        ),
    ),
)


def test_confirm_replaces_the_hold_in_place_with_the_readout_and_no_attendees(
    holds: CalDavHoldCalendar, collection: Collection
) -> None:
    hold = hold_on(collection)
    placed = with_ref(hold, holds.place(hold))
    ref = holds.confirm(placed, PACKET)
    assert json.loads(ref)["href"] == json.loads(placed.calendar_ref or "")["href"]
    assert json.loads(ref)["etag"] != json.loads(placed.calendar_ref or "")["etag"]
    text = collection.stored()[0].to_ical().decode()
    event = only_event(collection)
    assert str(event["UID"]) == hold.uid
    assert (str(event["STATUS"]), str(event["SUMMARY"])) == ("CONFIRMED", PACKET.purpose)
    assert str(event["DESCRIPTION"]) == f"Reference: {ESCALATION}"
    assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (SLOT.start, SLOT.end)
    assert not {"ATTENDEE", "ORGANIZER", "X-READOUT-HOLD-EXPIRES"} & set(event)
    assert not [who for a in PACKET.attendees for who in (a.name, a.email) if who in text]
    assert holds.confirm(placed, PACKET) == ref  # retried with the hold's old ref: already done


def test_confirm_after_someone_moved_the_hold_is_a_conflict_and_leaves_it(
    holds: CalDavHoldCalendar, collection: Collection
) -> None:
    hold = hold_on(collection)
    placed = with_ref(hold, holds.place(hold))

    def move(event: Component) -> None:
        for name in ("DTSTART", "DTEND"):
            later = event.decoded(name) + timedelta(hours=1)
            del event[name]
            event.add(name, later)

    collection.change(hold, move)
    with pytest.raises(Conflict):
        holds.confirm(placed, PACKET)
    event = only_event(collection)
    assert (str(event["STATUS"]), event.decoded("DTSTART")) == ("TENTATIVE", SLOT.start + timedelta(hours=1))


# --- Failures -------------------------------------------------------------------------------------------------


def test_missing_collection_is_unavailable(reader: CalDavReader, server: DavServer) -> None:
    with pytest.raises(SourceUnavailable, match="404"):
        busy(reader, server.caldav_url("no-such-calendar"), SLOT)


def test_a_collection_that_is_not_a_calendar_is_unavailable_never_free(
    reader: CalDavReader, server: DavServer, collection: Collection
) -> None:
    home = collection.url.rstrip("/").rpartition("/")[0] + "/"  # Radicale answers a query there with nothing
    with pytest.raises(SourceUnavailable, match="not a CalDAV calendar collection"):
        busy(reader, home, SLOT)


@pytest.mark.parametrize("server", ["radicale"], indirect=True)  # Xandikos authenticates only over TLS
def test_refused_credentials_are_unavailable_and_never_shown(
    server: DavServer, collection: Collection
) -> None:
    wrong = CredentialStore({f"{server.base_url}/": Credentials("alice", "not-her-password")})
    with pytest.raises(SourceUnavailable, match=r"401 .*credentials were refused") as refused:
        busy(CalDavReader(wrong, TIMEOUT, policy=LOOPBACK), collection.url, SLOT)
    assert "not-her-password" not in str(refused.value)
    in_url = collection.url.replace("caldav://", "caldav://alice:wonderland@")
    with pytest.raises(
        SourceUnavailable, match=r"no credentials configured.*in the URL are ignored"
    ) as anonymous:
        busy(CalDavReader(CredentialStore(), TIMEOUT, policy=LOOPBACK), in_url, SLOT)
    assert "wonderland" not in str(anonymous.value)
    assert str(anonymous.value).startswith(collection.url)


def test_server_down_is_unavailable_at_once() -> None:
    started = time.monotonic()
    with pytest.raises(SourceUnavailable, match="connection refused"):
        busy(
            CalDavReader(CredentialStore(), TIMEOUT, policy=LOOPBACK),
            f"caldav://127.0.0.1:{free_port()}/cal/",
            SLOT,
        )
    assert time.monotonic() - started < 2


def test_server_that_never_answers_is_unavailable_within_the_timeout() -> None:
    reader = CalDavReader(CredentialStore(), 1.0, policy=LOOPBACK)
    holds = CalDavHoldCalendar(CredentialStore(), 1.0, reader, policy=LOOPBACK)
    with stub_server(None) as port:
        url = f"caldav://127.0.0.1:{port}/cal/"
        for attempt in (lambda: busy(reader, url, SLOT), lambda: holds.place(hold_on_url(url))):
            started = time.monotonic()
            with pytest.raises(SourceUnavailable, match="timed out after 1s"):
                attempt()
            assert time.monotonic() - started < 1.0 + 2


def hold_on_url(url: str) -> Hold:
    placed = at("2026-11-02T09:00")
    return Hold(
        0, hold_uid(ESCALATION, SLOT, url), ESCALATION, SLOT, url, placed, placed + timedelta(hours=1)
    )


def _http(status: str, body: bytes) -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/xml\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"Connection: close\r\n\r\n" + body


_CALENDAR_WITH_DATA = (
    b'<?xml version="1.0"?><D:multistatus xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:response>'
    b"<D:href>/cal/</D:href><D:propstat><D:prop><D:resourcetype><D:collection/><C:calendar/></D:resourcetype>"
    b"<C:calendar-data>%s</C:calendar-data></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>"
    b"</D:response></D:multistatus>"
)


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (_http("207 Multi-Status", b"<html>not xml"), "not a WebDAV multistatus"),
        (
            _http("207 Multi-Status", _CALENDAR_WITH_DATA % b"SUMMARY:secret merger talk"),
            "an event cannot be read",
        ),
        (_http("207 Multi-Status", _CALENDAR_WITH_DATA % b""), "left out the data of an event"),
        (_http("500 Internal Server Error", b""), "HTTP 500"),
        (
            _http("301 Moved Permanently", b"").replace(
                b"\r\n\r\n", b"\r\nLocation: http://elsewhere/\r\n\r\n"
            ),
            "redirected",
        ),
    ],
    ids=["not-xml", "not-icalendar", "no-data", "server-error", "redirect"],
)
def test_malformed_or_failed_replies_are_unavailable_and_quote_nothing(reply: bytes, reason: str) -> None:
    with stub_server(reply) as port, pytest.raises(SourceUnavailable, match=reason) as failed:
        busy(
            CalDavReader(CredentialStore(), TIMEOUT, policy=LOOPBACK), f"caldav://127.0.0.1:{port}/cal/", SLOT
        )
    assert "secret" not in str(failed.value)


def test_a_local_path_is_not_a_caldav_source() -> None:
    reader = CalDavReader(CredentialStore(), TIMEOUT, policy=LOOPBACK)
    with pytest.raises(SourceUnavailable, match="not a CalDAV collection"):
        reader.busy(
            CALENDARS / "empty.ics",
            window=SLOT,
            zone=CHICAGO,
            tentative_is_busy=True,
            exclude_escalation=None,
        )
