"""The customer's pick link as a value: what it accepts when, its bounds, and the shape of its token."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest

from readout.domain.intervals import Interval
from readout.domain.pick_links import (
    MAX_NOTE,
    Answer,
    LinkState,
    PickLink,
    looks_like_token,
    ttl_problem,
)

NOW = datetime(2026, 11, 12, 15, tzinfo=UTC)
SLOT = Interval(datetime(2026, 11, 17, 18, tzinfo=UTC), datetime(2026, 11, 17, 19, tzinfo=UTC))


def _link() -> PickLink:
    return PickLink("a1b2c3d4e5f6", "ESC-1", "0" * 64, NOW, "priya", NOW + timedelta(hours=72))


def test_a_link_is_open_until_it_expires() -> None:
    link = _link()
    assert link.state(NOW) is LinkState.OPEN
    assert link.state(NOW + timedelta(hours=71, minutes=59)) is LinkState.OPEN
    assert link.state(NOW + timedelta(hours=72)) is LinkState.EXPIRED


def test_an_answer_uses_the_link_and_says_what_was_picked() -> None:
    picked = _link().answered(NOW, SLOT, "  the 17th suits us  ")
    assert picked.state(NOW) is LinkState.USED
    assert (picked.answer, picked.picked) == (Answer.PICKED, SLOT)
    declined = _link().answered(NOW, None, "")
    assert (declined.answer, declined.picked) == (Answer.DECLINED, None)
    # a used link stays used after it would have expired or been revoked: the answer stands
    assert picked.revoked(NOW, "priya").state(NOW + timedelta(days=30)) is LinkState.USED


def test_a_revoked_link_says_revoked_even_after_its_expiry() -> None:
    revoked = _link().revoked(NOW, "priya")
    assert revoked.state(NOW) is LinkState.REVOKED
    assert revoked.state(NOW + timedelta(days=30)) is LinkState.REVOKED


def test_the_note_is_bounded() -> None:
    assert len(_link().answered(NOW, None, "x" * (MAX_NOTE + 50)).note) == MAX_NOTE


@pytest.mark.parametrize(
    ("ttl", "ok"),
    [
        (timedelta(minutes=59), False),
        (timedelta(hours=1), True),
        (timedelta(hours=72), True),
        (timedelta(days=14), True),
        (timedelta(days=14, seconds=1), False),
    ],
)
def test_a_link_lives_between_an_hour_and_fourteen_days(ttl: timedelta, ok: bool) -> None:
    assert (ttl_problem(ttl) is None) is ok


def test_only_a_token_of_the_right_shape_is_looked_up() -> None:
    assert looks_like_token(secrets.token_urlsafe(32))
    for bad in ("", "x" * 42, "x" * 44, "x" * 42 + "/", "x" * 42 + "=", "é" * 43, "x" * 10_000):
        assert not looks_like_token(bad)
