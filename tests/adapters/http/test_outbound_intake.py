"""DNS rebinding between intake and fetch: a document posted to the API is accepted because its calendar host
resolves to a public address, and by the time the plan reads the calendar the name points at loopback or a
private address. The outbound guard checks the addresses again at connect time and connects only to those it
checked, so the plan shows the owner unknown with the policy's reason and nothing internal is contacted.

Names resolve through ``resolving`` (no real DNS); ``connections`` records every TCP connection opened.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from readout.adapters.casefile.loader import CaseFileBuilder
from readout.adapters.http.outbound import REFUSED
from readout.bootstrap import calendar_reader
from readout.config import OutboundPolicy, Settings
from readout.domain.case_document import API_ORIGIN, CaseDocument
from readout.domain.intervals import Interval
from readout.domain.sources import RemoteSource
from readout.errors import CaseFileError, SourceUnavailable
from readout.services.planning import plan_case
from tests.adapters.casefile.test_casefile import valid_document, with_change, write_case
from tests.support.ics_http_server import Feed, FeedServer

PUBLIC = "93.184.215.14"
NOW = datetime(2026, 11, 3, 15, 0, tzinfo=UTC)
NOVEMBER = Interval(datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC))
UTC_ZONE = ZoneInfo("UTC")
CALENDARS = Path(__file__).resolve().parents[2] / "calendars"
_REAL_CREATE_CONNECTION = socket.create_connection
_REAL_GETADDRINFO = socket.getaddrinfo


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        running.feeds["/dana.ics"] = Feed((CALENDARS / "google-recurring-with-exdate.ics").read_bytes())
        yield running


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every TCP connection opened, as (address, port); only loopback ones really go out."""
    made: list[tuple[str, int]] = []

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        made.append((address[0], address[1]))
        if not ipaddress.ip_address(address[0]).is_loopback:
            raise ConnectionRefusedError("the tests do not reach the network")
        return _REAL_CREATE_CONNECTION(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    return made


def rebinding(monkeypatch: pytest.MonkeyPatch, host: str, *answers: str) -> list[str]:
    """``host`` resolves to each answer in turn (the last one repeated); other names do not resolve."""
    asked: list[str] = []

    def getaddrinfo(name: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if name != host:
            try:
                ipaddress.ip_address(name)
            except ValueError:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
            return _REAL_GETADDRINFO(name, port, *args, **kwargs)  # an address: no DNS asked
        asked.append(name)
        address = answers[min(len(asked), len(answers)) - 1]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def posted(tmp_path: Path, dana: str) -> CaseDocument:
    """The valid case as posted to the API: local calendars under the root, Dana's at ``dana``."""
    write_case(tmp_path, {})
    return CaseDocument(with_change(valid_document(), "people.dana.calendar", dana), API_ORIGIN)


@pytest.mark.parametrize("inside", ["127.0.0.1", "10.0.0.7", "169.254.169.254", "::1"])
def test_a_name_rebound_after_intake_reaches_nothing_internal(
    tmp_path: Path,
    server: FeedServer,
    connections: list[tuple[str, int]],
    monkeypatch: pytest.MonkeyPatch,
    inside: str,
) -> None:
    url = f"https://feeds.example:{server.port}/dana.ics"
    asked = rebinding(monkeypatch, "feeds.example", PUBLIC, inside)
    loaded = CaseFileBuilder(tmp_path, OutboundPolicy()).build(posted(tmp_path, url))  # accepted: public
    assert loaded.calendars["dana"] == RemoteSource(url)
    planned = plan_case(loaded, calendar_reader(Settings(source_timeout=3.0)), NOW, 3.0)
    assert asked == ["feeds.example", "feeds.example"]  # at intake, then again at fetch
    unknown = {entry.id: entry.error for entry in planned.plan.unknown}
    assert unknown["dana"] == f"https://feeds.example:{server.port}/dana.ics: {REFUSED}"
    assert (connections, server.connections) == ([], 0)


def test_the_same_name_rebound_before_intake_is_refused_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rebinding(monkeypatch, "feeds.example", "127.0.0.1")
    with pytest.raises(CaseFileError) as caught:
        CaseFileBuilder(tmp_path).build(posted(tmp_path, "https://feeds.example/dana.ics"))
    assert caught.value.field == "people.dana.calendar"


def test_a_connection_that_lands_on_another_address_than_the_one_checked_sends_nothing(
    server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The guard connects to the address it checked; should the connection end up elsewhere all the same (a
    # resolver or network layer in between), the peer is checked once connected and nothing is sent.
    rebinding(monkeypatch, "feeds.example", "127.0.0.2")
    landed: list[tuple[str, int]] = []

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        landed.append(address)
        return _REAL_CREATE_CONNECTION(("127.0.0.1", address[1]), *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    reader = calendar_reader(Settings(source_timeout=3.0, outbound=OutboundPolicy.parse("127.0.0.0/8")))
    source = RemoteSource(f"http://feeds.example:{server.port}/dana.ics")
    with pytest.raises(SourceUnavailable) as caught:
        list(
            reader.busy(
                source, window=NOVEMBER, zone=UTC_ZONE, tentative_is_busy=True, exclude_escalation=None
            )
        )
    assert caught.value.detail == REFUSED
    assert landed == [("127.0.0.2", server.port)]
    assert server.seen == []  # connected, and closed before a request was sent
