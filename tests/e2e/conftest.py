"""Real servers for the end-to-end tests: a throwaway Radicale and an aiosmtpd relay, one each per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.dav_servers import DavServer, throwaway_dav_server
from tests.support.smtp_server import SmtpServer, smtp_server


@pytest.fixture
def dav() -> Iterator[DavServer]:
    with throwaway_dav_server("radicale") as server:
        yield server


@pytest.fixture
def relay() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server
