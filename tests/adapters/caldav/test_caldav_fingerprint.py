"""A CalDAV collection's fingerprint (calendar watch), against real Radicale and Xandikos on 127.0.0.1: the
collection's ctag (or sync-token) from one PROPFIND, the same while nothing changes, another once an event is
added; a URL that is not a calendar collection is refused; a server that offers neither tag gives None."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from caldav.davclient import DAVClient

from readout.adapters.caldav.busy import CalDavReader
from readout.config import CredentialStore
from readout.domain.sources import RemoteSource
from readout.errors import SourceUnavailable
from tests.adapters.caldav.test_caldav import credentials_for
from tests.support.dav_servers import DAV_SERVERS, LOOPBACK, DavServer, stub_server, throwaway_dav_server

TIMEOUT = 5.0
EVENT = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Readout tests//fingerprint//EN\r\n"
    "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\n"
    "DTSTART:20261117T170000Z\r\nDTEND:20261117T200000Z\r\nSUMMARY:Offsite\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)


@pytest.fixture(scope="module", params=DAV_SERVERS)
def server(request: pytest.FixtureRequest) -> Iterator[DavServer]:
    with throwaway_dav_server(request.param) as running:
        yield running


@pytest.fixture
def dav(server: DavServer) -> Iterator[DAVClient]:
    with DAVClient(
        url=server.base_url + server.home,
        username=server.username,
        password=server.password,
        enable_rfc6764=False,
        timeout=10,
    ) as client:
        yield client


def fresh(server: DavServer, dav: DAVClient, request: pytest.FixtureRequest) -> str:
    name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:60]
    assert dav.mkcalendar(server.collection_url(name)).status == 201
    return name


def test_the_tag_stays_while_nothing_changes_and_changes_when_an_event_is_added(
    server: DavServer, dav: DAVClient, request: pytest.FixtureRequest
) -> None:
    name = fresh(server, dav, request)
    reader = CalDavReader(credentials_for(server), TIMEOUT, policy=LOOPBACK)
    source = RemoteSource(server.caldav_url(name))

    before = reader.fingerprint(source)
    assert before is not None
    assert before.startswith(("ctag:", "sync-token:"))
    assert reader.fingerprint(source) == before

    text = EVENT.format(uid="offsite@elsewhere.example")
    status = dav.put(server.collection_url(name) + "offsite.ics", text, {"Content-Type": "text/calendar"})
    assert status.status in (201, 204)

    after = reader.fingerprint(source)
    assert after is not None
    assert after != before
    assert reader.fingerprint(source) == after
    assert "Offsite" not in after


def test_a_url_that_is_not_a_calendar_collection_is_refused(server: DavServer) -> None:
    reader = CalDavReader(credentials_for(server), TIMEOUT, policy=LOOPBACK)
    with pytest.raises(SourceUnavailable):
        reader.fingerprint(RemoteSource(server.caldav_url("no-such-calendar")))


def _multistatus(props: str) -> bytes:
    body = (
        '<?xml version="1.0" encoding="utf-8"?><D:multistatus xmlns:D="DAV:" '
        'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:response><D:href>/cal/</D:href><D:propstat><D:prop>'
        f"<D:resourcetype><D:collection/><C:calendar/></D:resourcetype>{props}</D:prop>"
        "<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>"
    ).encode()
    head = f"HTTP/1.1 207 Multi-Status\r\nContent-Type: application/xml\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"Connection: close\r\n\r\n" + body


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ("", None),
        ("<D:sync-token>http://example/sync/7</D:sync-token>", "sync-token:http://example/sync/7"),
        (
            '<CS:getctag xmlns:CS="http://calendarserver.org/ns/">"42"</CS:getctag>'
            "<D:sync-token>http://example/sync/7</D:sync-token>",
            'ctag:"42"',
        ),
    ],
    ids=["neither", "sync-token-only", "ctag-first"],
)
def test_the_ctag_is_preferred_then_the_sync_token_else_none(props: str, expected: str | None) -> None:
    reader = CalDavReader(CredentialStore(), TIMEOUT, policy=LOOPBACK)
    with stub_server(_multistatus(props)) as port:
        assert reader.fingerprint(RemoteSource(f"caldav://127.0.0.1:{port}/cal/")) == expected
