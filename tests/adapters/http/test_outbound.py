"""The outbound guard (adapters/http/outbound.py) through the feed and CalDAV readers, against real local servers.

What a malicious case file could do before: make Readout fetch loopback, cloud metadata and private addresses
and report each one's status (a port scanner), hand the operator's calendar credentials to any host in clear,
and keep ``?token=...`` secrets in plans. Each test watches the wire: the servers count every connection they
accept and the ``connections`` fixture records every TCP connection Readout opens (and refuses any to a
non-loopback address, so no test reaches the network).
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

from readout.adapters.caldav.busy import CalDavReader
from readout.adapters.http.feeds import HttpIcsReader
from readout.adapters.http.outbound import REFUSED, is_public
from readout.config import Credentials, CredentialStore, OutboundPolicy
from readout.domain.intervals import Interval
from readout.domain.sources import RemoteSource
from readout.errors import SourceUnavailable
from tests.support.ics_http_server import LOOPBACK, Feed, FeedServer, closed_port

CALENDARS = Path(__file__).resolve().parents[2] / "calendars"
GOOGLE = (CALENDARS / "google-recurring-with-exdate.ics").read_bytes()
NOVEMBER = Interval(datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC))
NEW_YORK = ZoneInfo("America/New_York")
STRICT = OutboundPolicy()
PASSWORD = "s3cret-Pa55word"
SECRET = "SECRET-feed-token-4711"
PUBLIC = "93.184.215.14"  # a globally routable address; the fixture refuses the connection itself

_REAL_GETADDRINFO = socket.getaddrinfo
_REAL_CREATE_CONNECTION = socket.create_connection


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
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


def resolving(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[list[str]]]) -> list[str]:
    """Make each name resolve to its answers in turn (the last one repeated); the names looked up, in order."""
    asked: list[str] = []

    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host not in answers:
            return _REAL_GETADDRINFO(host, port, *args, **kwargs)
        asked.append(host)
        addresses = answers[host][min(asked.count(host), len(answers[host])) - 1]
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def feeds(
    policy: OutboundPolicy = STRICT, credentials: CredentialStore | None = None, cache: Path | None = None
) -> HttpIcsReader:
    return HttpIcsReader(credentials or CredentialStore(), 3.0, 1_000_000, cache, policy=policy)


def busy(reader: HttpIcsReader | CalDavReader, url: str) -> list[Interval]:
    source = RemoteSource(url)
    return list(
        reader.busy(source, window=NOVEMBER, zone=NEW_YORK, tentative_is_busy=True, exclude_escalation=None)
    )


def unavailable(reader: HttpIcsReader | CalDavReader, url: str) -> SourceUnavailable:
    with pytest.raises(SourceUnavailable) as caught:
        busy(reader, url)
    return caught.value


# --- addresses --------------------------------------------------------------------------------------------


def test_issue_9_a_loopback_feed_is_refused_without_a_connection(
    server: FeedServer, connections: list[tuple[str, int]]
) -> None:
    server.feeds["/dana.ics"] = Feed(GOOGLE)
    error = unavailable(feeds(), server.url("/dana.ics"))
    assert str(error) == f"{server.url('/dana.ics')}: {REFUSED}"
    assert (server.connections, server.seen, connections) == (0, [], [])
    assert busy(feeds(LOOPBACK), server.url("/dana.ics"))  # allowed, the same feed is read
    assert server.connections == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.1.2.3/dana.ics",
        "https://172.16.0.9/dana.ics",
        "https://192.168.1.1/dana.ics",
        "https://100.64.0.1/dana.ics",  # shared (carrier-grade NAT)
        "https://0.0.0.0/dana.ics",
        "https://224.0.0.251/dana.ics",  # multicast
        "https://240.0.0.1/dana.ics",  # reserved
        "https://192.0.2.10/dana.ics",  # documentation
        "https://[::1]/dana.ics",
        "https://[::]/dana.ics",
        "https://[fe80::1]/dana.ics",
        "https://[fd12:3456::1]/dana.ics",  # unique local
        "https://[ff02::1]/dana.ics",
        "https://[::ffff:127.0.0.1]/dana.ics",  # IPv4-mapped loopback
        "https://[::ffff:169.254.169.254]/latest/meta-data/",
        "https://[64:ff9b::a9fe:a9fe]/latest/meta-data/",  # NAT64 of 169.254.169.254
        "https://[2002:7f00:1::]/dana.ics",  # 6to4 of 127.0.0.1
        "webcal://10.0.0.1/dana.ics",
    ],
)
def test_issue_9_non_public_addresses_are_refused_without_a_connection(
    url: str, connections: list[tuple[str, int]]
) -> None:
    assert unavailable(feeds(), url).detail == REFUSED
    assert connections == []


def test_every_address_a_name_resolves_to_is_checked(
    monkeypatch: pytest.MonkeyPatch, connections: list[tuple[str, int]]
) -> None:
    resolving(monkeypatch, {"mixed.example": [[PUBLIC, "10.0.0.7"]], "inside.example": [["fd00::7"]]})
    assert unavailable(feeds(), "https://mixed.example/dana.ics").detail == REFUSED
    assert unavailable(feeds(), "https://inside.example/dana.ics").detail == REFUSED
    assert connections == []


def test_a_public_address_over_https_is_reached_at_the_address_checked(
    monkeypatch: pytest.MonkeyPatch, connections: list[tuple[str, int]]
) -> None:
    asked = resolving(monkeypatch, {"calendar.example": [[PUBLIC]]})
    assert unavailable(feeds(), "https://calendar.example/dana.ics").detail == "connection refused"
    assert unavailable(feeds(), "webcal://calendar.example:8443/dana.ics").detail == "connection refused"
    assert connections == [(PUBLIC, 443), (PUBLIC, 8443)]  # webcal travels over https
    assert asked == ["calendar.example", "calendar.example"]  # one lookup per request


def test_plain_http_is_refused_even_to_a_public_address(
    monkeypatch: pytest.MonkeyPatch, connections: list[tuple[str, int]]
) -> None:
    resolving(monkeypatch, {"calendar.example": [[PUBLIC]]})
    assert unavailable(feeds(), "http://calendar.example/dana.ics").detail == REFUSED
    assert connections == []


def test_a_name_is_connected_at_the_address_checked_never_resolved_again(
    server: FeedServer, monkeypatch: pytest.MonkeyPatch, connections: list[tuple[str, int]]
) -> None:
    # DNS rebinding: the first answer passes the check, a second lookup would point elsewhere.
    server.feeds["/dana.ics"] = Feed(GOOGLE)
    asked = resolving(monkeypatch, {"feeds.example": [["127.0.0.1"], ["10.9.9.9"]]})
    url = f"http://feeds.example:{server.port}/dana.ics"
    assert busy(feeds(OutboundPolicy.parse("127.0.0.1")), url)
    assert asked == ["feeds.example"]
    assert connections == [("127.0.0.1", server.port)]
    assert server.seen[-1].headers["host"] == f"feeds.example:{server.port}"  # and TLS would verify the name


@pytest.mark.parametrize(
    ("allow", "host", "allowed"),
    [
        ("127.0.0.1", "127.0.0.1", True),
        ("127.0.0.0/8", "127.0.0.1", True),
        ("10.0.0.0/8, 127.0.0.1:{port}", "127.0.0.1", True),
        ("localhost", "localhost", True),
        ("LOCALHOST.:{port}", "localhost", True),
        ("127.0.0.1:{other}", "127.0.0.1", False),
        ("10.0.0.0/8", "127.0.0.1", False),
        ("localhost", "127.0.0.1", False),  # a listed name admits that name, not its addresses
        ("feeds.example.com", "127.0.0.1", False),
    ],
)
def test_the_allow_list_admits_what_it_lists_and_nothing_more(
    server: FeedServer, allow: str, host: str, allowed: bool
) -> None:
    server.feeds["/dana.ics"] = Feed(GOOGLE)
    policy = OutboundPolicy.parse(allow.format(port=server.port, other=closed_port()))
    url = f"http://{host}:{server.port}/dana.ics"
    if allowed:
        assert busy(feeds(policy), url)
    else:
        assert unavailable(feeds(policy), url).detail == REFUSED
        assert server.connections == 0


def test_a_redirect_is_checked_like_the_first_request(server: FeedServer) -> None:
    with FeedServer() as elsewhere:
        elsewhere.feeds["/moved.ics"] = Feed(GOOGLE)
        server.feeds["/old.ics"] = Feed(status=302, headers={"Location": elsewhere.url("/moved.ics")})
        only_first = OutboundPolicy.parse(f"127.0.0.1:{server.port}")
        assert unavailable(feeds(only_first), server.url("/old.ics")).detail == REFUSED
        assert elsewhere.connections == 0
        assert busy(feeds(LOOPBACK), server.url("/old.ics"))  # both allowed: followed
        assert elsewhere.connections == 1


def test_issue_9_a_refused_open_port_and_a_refused_closed_port_answer_alike() -> None:
    with FeedServer() as running:
        running.feeds["/dana.ics"] = Feed(GOOGLE)
        url = running.url("/dana.ics")
        while_open = unavailable(feeds(), url)
        assert running.connections == 0
    while_closed = unavailable(feeds(), url)
    assert str(while_open) == str(while_closed) == f"{url}: {REFUSED}"
    assert unavailable(feeds(LOOPBACK), url).detail == "connection refused"  # allowed, the port shows


def test_caldav_on_loopback_is_refused_without_a_connection(server: FeedServer) -> None:
    error = unavailable(CalDavReader(CredentialStore(), 3.0), f"caldav://127.0.0.1:{server.port}/cal/")
    assert error.detail == REFUSED
    assert server.connections == 0
    unavailable(
        CalDavReader(CredentialStore(), 3.0, policy=LOOPBACK), f"caldav://127.0.0.1:{server.port}/cal/"
    )
    assert [seen.path for seen in server.seen] == ["/cal/"]  # allowed: the PROPFIND arrives


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
        ("8.8.8.8", True),
        ("127.0.0.1", False),
        ("169.254.169.254", False),
        ("239.1.1.1", False),
        ("64:ff9b::808:808", True),
        ("64:ff9b::a00:1", False),
        ("2002:a00:1::", False),
        ("2002:808:808::", True),
    ],
)
def test_is_public(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public


# --- credentials ------------------------------------------------------------------------------------------


def test_issue_9_default_credentials_go_only_to_their_origin(server: FeedServer) -> None:
    server.feeds["/private.ics"] = Feed(GOOGLE, credentials=("dana", PASSWORD))
    elsewhere = CredentialStore(
        default=Credentials("dana", PASSWORD), default_origin="https://dav.example.com"
    )
    error = unavailable(feeds(LOOPBACK, elsewhere), server.url("/private.ics"))
    assert "no credentials configured" in error.detail
    assert "authorization" not in server.seen[-1].headers
    here = CredentialStore(default=Credentials("dana", PASSWORD), default_origin=server.url(""))
    assert busy(feeds(LOOPBACK, here), server.url("/private.ics"))
    assert server.seen[-1].headers["authorization"].startswith("Basic ")


def test_issue_9_credentials_never_go_over_plain_http_unless_allowed(server: FeedServer) -> None:
    server.feeds["/private.ics"] = Feed(GOOGLE, credentials=("dana", PASSWORD))
    for store in (
        CredentialStore({server.url("/"): Credentials("dana", PASSWORD)}),
        CredentialStore({"127.0.0.1": Credentials("dana", PASSWORD)}),
        CredentialStore(default=Credentials("dana", PASSWORD), default_origin=server.url("")),
    ):
        assert unavailable(feeds(STRICT, store), server.url("/private.ics")).detail == REFUSED
    assert (server.connections, server.seen) == (0, [])
    # Credentials configured for the HTTPS origin of the same host are not sent over http to it.
    https_only = CredentialStore({server.url("/", scheme="https"): Credentials("dana", PASSWORD)})
    assert (
        "no credentials configured"
        in unavailable(feeds(LOOPBACK, https_only), server.url("/private.ics")).detail
    )
    assert "authorization" not in server.seen[-1].headers


def test_caldav_credentials_go_only_to_their_origin(server: FeedServer) -> None:
    server.feeds["/cal/"] = Feed(b"", credentials=("alice", PASSWORD))
    url = f"caldav://127.0.0.1:{server.port}/cal/"
    elsewhere = CredentialStore(
        default=Credentials("alice", PASSWORD), default_origin="https://dav.example.com"
    )
    assert (
        "no credentials configured" in unavailable(CalDavReader(elsewhere, 3.0, policy=LOOPBACK), url).detail
    )
    assert "authorization" not in server.seen[-1].headers
    here = CredentialStore(default=Credentials("alice", PASSWORD), default_origin=server.url(""))
    unavailable(CalDavReader(here, 3.0, policy=LOOPBACK), url)  # not a multistatus: only the header matters
    assert server.seen[-1].headers["authorization"].startswith("Basic ")


# --- what is shown and stored -----------------------------------------------------------------------------


def test_issue_9_a_query_token_never_appears_in_an_error(server: FeedServer, tmp_path: Path) -> None:
    server.feeds["/missing.ics"] = Feed(status=404)
    cases = [
        (feeds(LOOPBACK), server.url(f"/missing.ics?token={SECRET}")),
        (feeds(LOOPBACK), f"http://127.0.0.1:{closed_port()}/dana.ics?token={SECRET}#{SECRET}"),
        (feeds(), server.url(f"/dana.ics?token={SECRET}")),
        (feeds(LOOPBACK), f"http://user:{SECRET}@127.0.0.1:{closed_port()}/dana.ics?token={SECRET}"),
        (feeds(LOOPBACK), f"http://127.0.0.1:{closed_port()}/dana.ics?%zz{SECRET}=%"),
        (
            CalDavReader(CredentialStore(), 3.0, policy=LOOPBACK),
            f"caldav://127.0.0.1:{server.port}/c/?t={SECRET}",
        ),
    ]
    for reader, url in cases:
        error = unavailable(reader, url)
        assert SECRET not in f"{error} {error!r}"
        assert error.source.endswith("?(redacted)")


def test_a_query_token_is_not_written_to_the_feed_cache(server: FeedServer, tmp_path: Path) -> None:
    server.feeds["/dana.ics"] = Feed(GOOGLE, etag='"v1"')
    reader = feeds(LOOPBACK, cache=tmp_path)
    url = server.url(f"/dana.ics?token={SECRET}")
    assert busy(reader, url) == busy(reader, url)
    assert [seen.status for seen in server.seen] == [200, 304]  # the cached copy is found again
    (cached,) = tmp_path.iterdir()
    assert SECRET.encode() not in cached.read_bytes()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://cal.example/dana.ics?token=abc", "https://cal.example/dana.ics?(redacted)"),
        ("https://cal.example/dana.ics?token=abc#frag", "https://cal.example/dana.ics?(redacted)"),
        ("https://cal.example/dana.ics#token=abc", "https://cal.example/dana.ics"),
        ("https://u:pw@cal.example:8443/a?b", "https://cal.example:8443/a?(redacted)"),
        ("https://cal.example?token=abc", "https://cal.example?(redacted)"),
        ("https://cal.example/dana.ics?", "https://cal.example/dana.ics"),
        ("https://u:p?w@cal.example/a", "https://(unreadable host)/"),
        ("caldavs://dav.example/cal/", "caldavs://dav.example/cal/"),
    ],
)
def test_shown_drops_user_information_query_and_fragment(url: str, shown: str) -> None:
    assert RemoteSource(url).shown == shown
