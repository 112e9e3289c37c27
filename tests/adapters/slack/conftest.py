"""The fake Slack for the adapter's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.fake_slack import FakeSlack, fake_slack


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    yield from fake_slack()
