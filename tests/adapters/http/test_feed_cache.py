"""Feeds in a long-running process: a 304 Not Modified (or the same bytes again) reuses the busy time already
parsed from that body (adapters/ics/cache.py); a changed feed is parsed again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import readout.adapters.ics.reader as reader_module
from readout.adapters.ics.cache import shared_cache
from readout.adapters.ics.parser import parse_calendars
from tests.adapters.http.test_http_ics import GOOGLE, GOOGLE_BUSY, MEETING, TWO_MEETINGS, busy, reader
from tests.support.ics_http_server import Feed, FeedServer


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        yield running


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the calendar texts parsed; the shared cache starts empty."""
    shared_cache().clear()
    counted: list[int] = []

    def counting(text: str) -> object:
        counted.append(1)
        return parse_calendars(text)

    monkeypatch.setattr(reader_module, "parse_calendars", counting)
    return counted


def test_a_304_reuses_the_parsed_feed(server: FeedServer, tmp_path: Path, parses: list[int]) -> None:
    server.feeds["/dana.ics"] = Feed(GOOGLE, etag='"v1"')
    feeds = reader(cache_dir=tmp_path)
    assert busy(feeds, server.url("/dana.ics")) == GOOGLE_BUSY
    assert busy(feeds, server.url("/dana.ics")) == GOOGLE_BUSY
    assert [s.status for s in server.seen] == [200, 304]
    assert len(parses) == 1


def test_a_changed_feed_is_parsed_again(server: FeedServer, tmp_path: Path, parses: list[int]) -> None:
    server.feeds["/cab.ics"] = Feed(GOOGLE, etag='"v1"')
    feeds = reader(cache_dir=tmp_path)
    assert busy(feeds, server.url("/cab.ics")) == GOOGLE_BUSY
    server.feeds["/cab.ics"] = Feed(TWO_MEETINGS, etag='"v2"')
    assert busy(feeds, server.url("/cab.ics")) == [MEETING]
    assert busy(feeds, server.url("/cab.ics")) == [MEETING]
    assert [s.status for s in server.seen] == [200, 200, 304]
    assert len(parses) == 2


def test_the_same_body_without_validators_is_not_parsed_again(server: FeedServer, parses: list[int]) -> None:
    server.feeds["/plain.ics"] = Feed(GOOGLE)
    feeds = reader()  # no cache folder: every read is a full download
    assert busy(feeds, server.url("/plain.ics")) == busy(feeds, server.url("/plain.ics")) == GOOGLE_BUSY
    assert [s.status for s in server.seen] == [200, 200]
    assert len(parses) == 1
