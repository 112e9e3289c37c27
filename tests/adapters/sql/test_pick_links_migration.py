"""Upgrading a store from before pick links (revision 0007 -> 0008) adds their table, empty, next to what was
there; downgrading drops it and keeps the rest."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text

from readout.adapters.sql import SqlUnitOfWork, create_engine_from_url, migrate
from readout.adapters.sql.migration import _config
from readout.domain.auth import digest
from readout.domain.intervals import Interval
from readout.domain.pick_links import PickLink

AT = datetime(2026, 11, 12, 15, tzinfo=UTC)


@pytest.fixture
def at_0007(blank_database_url: str) -> Iterator[Engine]:
    engine = create_engine_from_url(blank_database_url)
    with engine.begin() as connection:
        config = _config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0007")
    yield engine
    engine.dispose()


def test_upgrading_adds_pick_links_that_keep_an_answer_and_downgrading_drops_them(at_0007: Engine) -> None:
    assert "pick_links" not in inspect(at_0007).get_table_names()
    with at_0007.begin() as connection:
        connection.execute(text("INSERT INTO users (id, name, email, roles) VALUES ('priya', 'P', '', '[]')"))

    migrate(at_0007)

    slot = Interval(AT + timedelta(days=5), AT + timedelta(days=5, hours=1))
    link = PickLink("a1b2c3d4e5f6", "ESC-1", digest("t" * 43), AT, "priya", AT + timedelta(hours=72))
    with SqlUnitOfWork(at_0007) as uow:
        uow.pick_links.add(link)
        uow.pick_links.update(link.answered(AT + timedelta(hours=1), slot, "ok"))
        uow.commit()
    with SqlUnitOfWork(at_0007) as uow:
        assert uow.pick_links.by_token_hash(digest("t" * 43)) == link.answered(
            AT + timedelta(hours=1), slot, "ok"
        )
        assert uow.pick_links.of("ESC-1") == [uow.pick_links.get("a1b2c3d4e5f6")]
    with at_0007.begin() as connection:
        config = _config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0007")
    assert "pick_links" not in inspect(at_0007).get_table_names()
    with at_0007.connect() as connection:
        assert connection.execute(text("SELECT id FROM users")).scalars().all() == ["priya"]
