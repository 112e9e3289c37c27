"""Slack's v0 request signature: a request is taken when signed with the signing secret over its raw body,
sent within 5 minutes of now, and not seen before (remembered in the store, so any process refuses a replay)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from readout.adapters.slack import (
    BadSignature,
    MemoryReplayGuard,
    ReplayGuard,
    SqlReplayGuard,
    verify_request,
)
from readout.adapters.slack.signature import sign
from readout.adapters.sql import create_engine_from_url, migrate

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
NOW = datetime(2026, 11, 12, 15, 0, tzinfo=UTC)
BODY = b"payload=%7B%22type%22%3A%22block_actions%22%7D"


def headers(body: bytes = BODY, at: datetime = NOW, secret: str = SECRET) -> dict[str, str]:
    stamp = str(int(at.timestamp()))
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": sign(secret, stamp, body)}


@pytest.fixture(params=["memory", "sql"])
def replays(request: pytest.FixtureRequest, blank_database_url: str) -> Iterator[ReplayGuard]:
    if request.param == "memory":
        yield MemoryReplayGuard()
        return
    engine = create_engine_from_url(blank_database_url)
    migrate(engine)
    yield SqlReplayGuard(engine)
    engine.dispose()


def test_slacks_documented_example_signature() -> None:
    # Slack's "Verifying requests from Slack" worked example.
    body = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&"
        b"channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&"
        b"response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&"
        b"trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    assert sign(SECRET, "1531420618", body) == (
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    )


def test_a_signed_request_of_now_is_taken_once(replays: ReplayGuard) -> None:
    verify_request(SECRET, headers(), BODY, NOW, replays)

    with pytest.raises(BadSignature, match="replay"):
        verify_request(SECRET, headers(), BODY, NOW + timedelta(seconds=20), replays)


def test_two_requests_of_the_same_second_are_both_taken(replays: ReplayGuard) -> None:
    verify_request(SECRET, headers(), BODY, NOW, replays)
    verify_request(SECRET, headers(BODY + b"x"), BODY + b"x", NOW, replays)


@pytest.mark.parametrize(
    ("sent", "why"),
    [
        ({}, "not signed"),
        ({"X-Slack-Request-Timestamp": str(int(NOW.timestamp()))}, "not signed"),
        ({**headers(), "X-Slack-Signature": "v0=" + "0" * 64}, "does not match"),
        (headers(secret="another-secret"), "does not match"),
        ({**headers(), "X-Slack-Request-Timestamp": "soon"}, "not a time"),
        (headers(at=NOW - timedelta(minutes=5, seconds=1)), "more than 5 minutes"),
        (headers(at=NOW + timedelta(minutes=6)), "more than 5 minutes"),
    ],
)
def test_unsigned_forged_and_stale_requests_are_refused(
    sent: dict[str, str], why: str, replays: ReplayGuard
) -> None:
    with pytest.raises(BadSignature, match=why):
        verify_request(SECRET, sent, BODY, NOW, replays)


def test_the_signature_covers_the_raw_body(replays: ReplayGuard) -> None:
    with pytest.raises(BadSignature, match="does not match"):
        verify_request(SECRET, headers(), BODY.replace(b"block_actions", b"view_submission"), NOW, replays)


def test_a_request_inside_the_window_is_taken_and_headers_are_read_in_any_case(replays: ReplayGuard) -> None:
    sent = {k.lower(): v for k, v in headers(at=NOW - timedelta(minutes=4, seconds=59)).items()}
    verify_request(SECRET, sent, BODY, NOW, replays)


def test_a_refused_request_is_not_remembered(replays: ReplayGuard) -> None:
    with pytest.raises(BadSignature):
        verify_request("another-secret", headers(), BODY, NOW, replays)
    verify_request(SECRET, headers(), BODY, NOW, replays)
