"""Fixtures shared by every test folder: the stores (memory, SQLite, PostgreSQL), see tests/support."""

from collections.abc import Iterator

import pytest

from readout.domain.audit import ON_BEHALF_OF

pytest_plugins = ["tests.support.db_fixtures"]


@pytest.fixture(autouse=True)
def _no_principal_left_over() -> Iterator[None]:
    """Services set ``ON_BEHALF_OF`` for the rest of the caller's context when an agent acts (a request or a
    command has its own context); tests share one thread, so each starts and ends with none."""
    token = ON_BEHALF_OF.set(None)
    yield
    ON_BEHALF_OF.reset(token)
