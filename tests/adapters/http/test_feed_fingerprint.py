"""A feed's fingerprint (calendar watch): a conditional GET whose 304 Not Modified gives the cached body's
digest without a download; a changed feed gives another fingerprint; a failure is SourceUnavailable."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from readout.domain.sources import RemoteSource
from readout.errors import SourceUnavailable
from tests.adapters.http.test_http_ics import GOOGLE, TWO_MEETINGS, busy, reader
from tests.support.ics_http_server import Feed, FeedServer


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        yield running


def test_a_304_keeps_the_fingerprint_and_a_changed_feed_changes_it(
    server: FeedServer, tmp_path: Path
) -> None:
    server.feeds["/dana.ics"] = Feed(GOOGLE, etag='"v1"')
    feeds, source = reader(cache_dir=tmp_path), RemoteSource(server.url("/dana.ics"))

    first = feeds.fingerprint(source)
    again = feeds.fingerprint(source)
    server.feeds["/dana.ics"] = Feed(TWO_MEETINGS, etag='"v2"')
    changed = feeds.fingerprint(source)

    assert first == again == f"sha256:{hashlib.sha256(GOOGLE).hexdigest()}"
    assert changed == f"sha256:{hashlib.sha256(TWO_MEETINGS).hexdigest()}"
    assert [s.status for s in server.seen] == [200, 304, 200]
    assert server.seen[1].headers["if-none-match"] == '"v1"'


def test_a_read_and_a_fingerprint_share_the_validators(server: FeedServer, tmp_path: Path) -> None:
    server.feeds["/cab.ics"] = Feed(GOOGLE, last_modified="Tue, 03 Nov 2026 10:00:00 GMT")
    feeds = reader(cache_dir=tmp_path)
    busy(feeds, server.url("/cab.ics"))  # a plan read the feed

    feeds.fingerprint(RemoteSource(server.url("/cab.ics")))

    assert [s.status for s in server.seen] == [200, 304]
    assert server.seen[1].headers["if-modified-since"] == "Tue, 03 Nov 2026 10:00:00 GMT"


def test_a_feed_that_fails_cannot_be_fingerprinted(server: FeedServer, tmp_path: Path) -> None:
    server.feeds["/gone.ics"] = Feed(b"", status=500)
    with pytest.raises(SourceUnavailable) as caught:
        reader(cache_dir=tmp_path).fingerprint(RemoteSource(server.url("/gone.ics")))
    assert "HTTP 500" in str(caught.value)
