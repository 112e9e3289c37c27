"""The ``.ics``-over-HTTP(S) reader against a real HTTP server on 127.0.0.1 (tests/support/ics_http_server.py).

Whatever goes wrong on the wire, the reader raises ``SourceUnavailable`` naming the URL without credentials
and a short reason of its own: the owner becomes unknown, never free. The readers here allow loopback
(``LOOPBACK``); what the outbound policy refuses is tested in test_outbound.py.
"""

from __future__ import annotations

import hashlib
import logging
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from readout.adapters.http.feeds import HttpIcsReader, http_url
from readout.adapters.ics.reader import read_busy
from readout.config import Credentials, CredentialStore
from readout.domain.intervals import Interval
from readout.domain.sources import RemoteSource
from readout.errors import SourceUnavailable
from tests.support.ics_http_server import LOOPBACK, Feed, FeedServer, closed_port, self_signed_tls

CALENDARS = Path(__file__).resolve().parents[2] / "calendars"
GOOGLE = (CALENDARS / "google-recurring-with-exdate.ics").read_bytes()
NEW_YORK = ZoneInfo("America/New_York")
NOVEMBER = Interval(datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC))
PASSWORD = "s3cret-Pa55word"
TWO_MEETINGS = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Readout tests//http feed//EN\r
BEGIN:VEVENT\r
UID:one@readout.test\r
DTSTAMP:20261001T000000Z\r
DTSTART:20261103T140000Z\r
DTEND:20261103T150000Z\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:two@readout.test\r
DTSTAMP:20261001T000000Z\r
DTSTART:20261104T090000Z\r
DTEND:20261104T093000Z\r
TRANSP:TRANSPARENT\r
END:VEVENT\r
END:VCALENDAR\r
"""
MEETING = Interval(
    datetime(2026, 11, 3, 14, tzinfo=UTC), datetime(2026, 11, 3, 15, tzinfo=UTC)
)  # TWO_MEETINGS
GOOGLE_BUSY = [  # tests/adapters/ics/test_ics.py works these out by hand
    Interval(datetime(2026, 11, d, 15, tzinfo=UTC), datetime(2026, 11, d, 16, tzinfo=UTC))
    for d in (3, 12, 17, 19)
]


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        yield running


def reader(
    *,
    timeout: float = 3.0,
    max_bytes: int = 1_000_000,
    cache_dir: Path | None = None,
    credentials: CredentialStore | None = None,
) -> HttpIcsReader:
    return HttpIcsReader(credentials or CredentialStore(), timeout, max_bytes, cache_dir, policy=LOOPBACK)


def busy(feeds: HttpIcsReader, url: str) -> list[Interval]:
    source = RemoteSource(url)
    return list(
        feeds.busy(source, window=NOVEMBER, zone=NEW_YORK, tentative_is_busy=True, exclude_escalation=None)
    )


def unavailable(feeds: HttpIcsReader, url: str) -> SourceUnavailable:
    with pytest.raises(SourceUnavailable) as caught:
        busy(feeds, url)
    return caught.value


# --- reading ----------------------------------------------------------------------------------------------


def test_busy_intervals_read_back_equal_the_feed(server: FeedServer) -> None:
    server.feeds["/dana.ics"] = Feed(GOOGLE)
    found = busy(reader(), server.url("/dana.ics"))
    assert found == GOOGLE_BUSY
    assert found == list(
        read_busy(
            CALENDARS / "google-recurring-with-exdate.ics",
            window=NOVEMBER,
            zone=NEW_YORK,
            tentative_is_busy=True,
        )
    )


def test_blackouts_count_transparent_events_busy_does_not(server: FeedServer) -> None:
    server.feeds["/cab.ics"] = Feed(TWO_MEETINGS)
    source = RemoteSource(server.url("/cab.ics"))
    transparent = Interval(datetime(2026, 11, 4, 9, tzinfo=UTC), datetime(2026, 11, 4, 9, 30, tzinfo=UTC))
    assert busy(reader(), source.url) == [MEETING]
    assert list(reader().blackouts(source, window=NOVEMBER, zone=NEW_YORK)) == [MEETING, transparent]


def test_error_names_the_source_by_its_shown_url(server: FeedServer) -> None:
    error = unavailable(reader(), server.url("/missing.ics"))
    assert error.source == server.url("/missing.ics")
    assert str(error) == f"{server.url('/missing.ics')}: HTTP 404 Not Found"


def test_a_local_path_is_not_a_feed() -> None:
    with pytest.raises(SourceUnavailable, match="not an HTTP"):
        reader().busy(
            CALENDARS / "empty.ics",
            window=NOVEMBER,
            zone=NEW_YORK,
            tentative_is_busy=True,
            exclude_escalation=None,
        )


# --- webcal -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "fetched"),
    [
        ("webcal://feeds.example/dana.ics", "https://feeds.example/dana.ics"),
        ("WEBCAL://feeds.example/dana.ics?key=1", "https://feeds.example/dana.ics?key=1"),
        ("webcal://dana:pw@feeds.example:8443/cal#frag", "https://feeds.example:8443/cal"),
        ("http://feeds.example", "http://feeds.example/"),
        ("https://feeds.example/a.ics", "https://feeds.example/a.ics"),
        ("caldav://feeds.example/a", None),
        ("ftp://feeds.example/a.ics", None),
        ("https:///no-host.ics", None),
    ],
)
def test_http_url_maps_webcal_to_https_and_drops_credentials(url: str, fetched: str | None) -> None:
    assert http_url(url) == fetched


def test_webcal_feed_is_fetched_over_verified_tls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tls = self_signed_tls(tmp_path)
    if tls is None:
        pytest.skip("openssl is needed to make a test certificate")
    context, certificate = tls
    with FeedServer(tls=context) as secure:
        secure.feeds["/dana.ics"] = Feed(GOOGLE)
        untrusting = reader()  # trusts the usual authorities, not our certificate
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate))
        assert busy(reader(), secure.url("/dana.ics", scheme="webcal")) == GOOGLE_BUSY
        error = unavailable(untrusting, secure.url("/dana.ics", scheme="webcal"))
    assert error.detail == "TLS certificate could not be verified"


# --- credentials ------------------------------------------------------------------------------------------


def test_basic_auth_is_sent_when_credentials_exist(server: FeedServer) -> None:
    server.feeds["/private.ics"] = Feed(GOOGLE, credentials=("dana", PASSWORD))
    store = CredentialStore({"127.0.0.1": Credentials("dana", PASSWORD)})
    assert busy(reader(credentials=store), server.url("/private.ics")) == GOOGLE_BUSY
    assert server.seen[-1].headers["authorization"].startswith("Basic ")


def test_refused_credentials_never_appear_in_the_error(
    server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.feeds["/private.ics"] = Feed(GOOGLE, credentials=("dana", "another-password"))
    store = CredentialStore({server.url("/"): Credentials("dana", PASSWORD)})
    with caplog.at_level(logging.DEBUG):
        error = unavailable(reader(credentials=store), server.url("/private.ics"))
    assert error.detail == "HTTP 401 Unauthorized (the configured credentials were refused)"
    assert PASSWORD not in f"{error} {error!r} {caplog.text}"


def test_password_in_the_url_is_never_sent_nor_shown(server: FeedServer) -> None:
    server.feeds["/private.ics"] = Feed(GOOGLE, credentials=("dana", PASSWORD))
    error = unavailable(reader(), server.url("/private.ics", userinfo=f"dana:{PASSWORD}@"))
    assert "authorization" not in server.seen[-1].headers  # credentials come from the store only
    assert "credentials in the URL are ignored" in error.detail
    assert PASSWORD not in f"{error} {error!r}"
    refused = unavailable(reader(), f"http://dana:{PASSWORD}@127.0.0.1:{closed_port()}/x.ics")
    assert PASSWORD not in f"{refused} {refused!r}"


def test_credentials_are_not_forwarded_to_another_origin(server: FeedServer) -> None:
    # Another port is another origin: a feed redirected elsewhere must not receive the password.
    store = CredentialStore({"127.0.0.1": Credentials("dana", PASSWORD)})
    with FeedServer() as elsewhere:
        elsewhere.feeds["/moved.ics"] = Feed(GOOGLE)
        server.feeds["/old.ics"] = Feed(status=302, headers={"Location": elsewhere.url("/moved.ics")})
        assert busy(reader(credentials=store), server.url("/old.ics")) == GOOGLE_BUSY
        assert "authorization" in server.seen[-1].headers
        assert "authorization" not in elsewhere.seen[-1].headers


def test_a_redirect_loop_is_unavailable(server: FeedServer) -> None:
    server.feeds["/loop.ics"] = Feed(status=301, headers={"Location": "/loop.ics"})
    assert unavailable(reader(), server.url("/loop.ics")).detail == "more than 5 redirects"


# --- conditional GET --------------------------------------------------------------------------------------


def test_etag_second_fetch_is_a_304_served_from_the_cache(server: FeedServer, tmp_path: Path) -> None:
    server.feeds["/dana.ics"] = Feed(GOOGLE, etag='"v1"')
    store = CredentialStore({"127.0.0.1": Credentials("dana", PASSWORD)})
    feeds = reader(cache_dir=tmp_path / "cache", credentials=store)
    first = busy(feeds, server.url("/dana.ics"))
    second = busy(feeds, server.url("/dana.ics"))
    assert first == second == GOOGLE_BUSY
    assert [s.status for s in server.seen] == [200, 304]
    assert server.seen[1].headers["if-none-match"] == '"v1"'
    assert server.full_bodies("/dana.ics") == 1
    (cached,) = (tmp_path / "cache").iterdir()
    assert cached.name == hashlib.sha256(server.url("/dana.ics").encode()).hexdigest() + ".feed"
    assert PASSWORD.encode() not in cached.read_bytes()
    assert b"Basic" not in cached.read_bytes()


def test_a_changed_feed_replaces_the_cached_copy(server: FeedServer, tmp_path: Path) -> None:
    server.feeds["/cab.ics"] = Feed(GOOGLE, etag='"v1"')
    feeds = reader(cache_dir=tmp_path)
    assert busy(feeds, server.url("/cab.ics")) == GOOGLE_BUSY
    server.feeds["/cab.ics"] = Feed(TWO_MEETINGS, etag='"v2"')
    changed = busy(feeds, server.url("/cab.ics"))
    assert changed == busy(feeds, server.url("/cab.ics"))
    assert changed == [MEETING]
    assert [s.status for s in server.seen] == [200, 200, 304]
    assert server.seen[2].headers["if-none-match"] == '"v2"'


def test_last_modified_second_fetch_is_a_304_served_from_the_cache(
    server: FeedServer, tmp_path: Path
) -> None:
    stamp = "Tue, 20 Oct 2026 12:00:00 GMT"
    server.feeds["/dana.ics"] = Feed(GOOGLE, last_modified=stamp)
    feeds = reader(cache_dir=tmp_path)
    assert busy(feeds, server.url("/dana.ics")) == busy(feeds, server.url("/dana.ics")) == GOOGLE_BUSY
    assert server.seen[1].headers["if-modified-since"] == stamp
    assert "if-none-match" not in server.seen[1].headers
    assert server.full_bodies("/dana.ics") == 1


def test_without_a_cache_dir_every_fetch_is_a_full_one(server: FeedServer) -> None:
    server.feeds["/dana.ics"] = Feed(GOOGLE, etag='"v1"')
    feeds = reader()
    busy(feeds, server.url("/dana.ics"))
    busy(feeds, server.url("/dana.ics"))
    assert server.full_bodies("/dana.ics") == 2
    assert all("if-none-match" not in s.headers for s in server.seen)


def test_a_damaged_cache_file_is_ignored(server: FeedServer, tmp_path: Path) -> None:
    server.feeds["/dana.ics"] = Feed(GOOGLE, etag='"v1"')
    feeds = reader(cache_dir=tmp_path)
    busy(feeds, server.url("/dana.ics"))
    (cached,) = tmp_path.iterdir()
    cached.write_bytes(cached.read_bytes()[:-200])  # as if cut short: the length no longer matches
    assert busy(feeds, server.url("/dana.ics")) == GOOGLE_BUSY
    assert "if-none-match" not in server.seen[1].headers
    assert server.full_bodies("/dana.ics") == 2


def test_errors_and_unvalidated_feeds_are_not_cached(server: FeedServer, tmp_path: Path) -> None:
    server.feeds["/plain.ics"] = Feed(GOOGLE)
    server.feeds["/down.ics"] = Feed(b"oops", status=503, etag='"e"')
    server.feeds["/nostore.ics"] = Feed(GOOGLE, etag='"n"', headers={"Cache-Control": "no-store"})
    feeds = reader(cache_dir=tmp_path)
    busy(feeds, server.url("/plain.ics"))
    busy(feeds, server.url("/nostore.ics"))
    assert unavailable(feeds, server.url("/down.ics")).detail == "HTTP 503 Service Unavailable"
    assert list(tmp_path.iterdir()) == []


def test_an_unasked_for_304_is_unavailable(server: FeedServer) -> None:
    server.feeds["/odd.ics"] = Feed(status=304)
    assert unavailable(reader(), server.url("/odd.ics")).detail == "HTTP 304 Not Modified"


# --- failures ---------------------------------------------------------------------------------------------


def test_a_server_slower_than_the_timeout_is_unavailable_quickly(server: FeedServer) -> None:
    server.feeds["/slow.ics"] = Feed(GOOGLE, delay=5)
    started = time.monotonic()
    error = unavailable(reader(timeout=0.5), server.url("/slow.ics"))
    assert error.detail == "timed out after 0.5s"
    assert time.monotonic() - started < 0.5 + 2


def test_a_trickling_body_cannot_outlast_the_timeout(server: FeedServer) -> None:
    # Each piece arrives well within the read timeout, but the whole download would take 1.6 s.
    server.feeds["/trickle.ics"] = Feed(GOOGLE, chunked=True, chunk=200, pause=0.2)
    started = time.monotonic()
    error = unavailable(reader(timeout=0.5), server.url("/trickle.ics"))
    assert error.detail == "timed out after 0.5s"
    assert time.monotonic() - started < 0.5 + 2


def test_an_endless_body_without_content_length_is_refused_as_it_streams(server: FeedServer) -> None:
    server.feeds["/huge.ics"] = Feed(GOOGLE, endless=True)
    started = time.monotonic()
    error = unavailable(reader(max_bytes=100_000, timeout=5), server.url("/huge.ics"))
    assert error.detail == "feed larger than 100000 bytes; refused"
    assert time.monotonic() - started < 2


def test_a_large_content_length_is_refused_before_the_body_arrives(server: FeedServer) -> None:
    server.feeds["/huge.ics"] = Feed(
        declared_length=100_001, pause=10
    )  # no body comes: waiting would time out
    error = unavailable(reader(max_bytes=100_000, timeout=5), server.url("/huge.ics"))
    assert error.detail == "feed larger than 100000 bytes; refused"


def test_a_body_of_exactly_max_bytes_is_accepted(server: FeedServer) -> None:
    server.feeds["/dana.ics"] = Feed(GOOGLE, chunked=True)
    assert busy(reader(max_bytes=len(GOOGLE)), server.url("/dana.ics")) == GOOGLE_BUSY


@pytest.mark.parametrize(
    ("status", "detail"),
    [(500, "HTTP 500 Internal Server Error"), (404, "HTTP 404 Not Found"), (204, "HTTP 204 No Content")],
)
def test_any_status_but_200_is_unavailable_never_free(server: FeedServer, status: int, detail: str) -> None:
    server.feeds["/dana.ics"] = Feed(GOOGLE if status != 204 else b"", status=status)
    assert unavailable(reader(), server.url("/dana.ics")).detail == detail


def test_a_closed_port_is_unavailable() -> None:
    assert unavailable(reader(), f"http://127.0.0.1:{closed_port()}/dana.ics").detail == "connection refused"


def test_an_unknown_host_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_such_host(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)  # what a resolver says, without the network
    error = unavailable(reader(), "https://calendar.invalid/dana.ics")
    assert str(error) == "https://calendar.invalid/dana.ics: host name could not be resolved"


def test_a_malformed_body_is_unavailable_and_never_quoted(server: FeedServer) -> None:
    server.feeds["/broken.ics"] = Feed((CALENDARS / "secret-content-malformed-calendar.ics").read_bytes())
    server.feeds["/html.ics"] = Feed(b"<html><body>CONFIDENTIAL login page for Initech</body></html>")
    for path in ("/broken.ics", "/html.ics"):
        error = unavailable(reader(), server.url(path))
        assert error.detail.startswith("not a valid iCalendar feed: ")
        assert "CONFIDENTIAL" not in str(error)
        assert "Initech" not in str(error)


def test_a_cut_off_body_is_unavailable(server: FeedServer) -> None:
    # Content-Length promises 10 bytes more than are sent before the server hangs up: no partial calendar.
    server.feeds["/cut.ics"] = Feed(GOOGLE, declared_length=len(GOOGLE) + 10)
    assert (
        unavailable(reader(), server.url("/cut.ics")).detail == "the server broke off or garbled the response"
    )


# --- threads ----------------------------------------------------------------------------------------------


def test_one_reader_serves_many_threads_at_once(server: FeedServer, tmp_path: Path) -> None:
    server.feeds["/dana.ics"] = Feed(GOOGLE, etag='"v1"', delay=0.1)
    server.feeds["/cab.ics"] = Feed(TWO_MEETINGS, last_modified="Tue, 20 Oct 2026 12:00:00 GMT", delay=0.1)
    server.feeds["/down.ics"] = Feed(status=503, delay=0.1)
    feeds = reader(cache_dir=tmp_path)
    barrier = threading.Barrier(12)

    def read(path: str) -> list[Interval] | str:
        barrier.wait()
        try:
            return busy(feeds, server.url(path))
        except SourceUnavailable as error:
            return error.detail

    paths = ["/dana.ics", "/cab.ics", "/down.ics"] * 4
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(read, paths))
    expected = {"/dana.ics": GOOGLE_BUSY, "/cab.ics": [MEETING], "/down.ics": "HTTP 503 Service Unavailable"}
    assert results == [expected[p] for p in paths]
    assert len(list(tmp_path.iterdir())) == 2  # one file per cached feed, no temporary files left behind
