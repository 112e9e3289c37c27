"""Upgrading a store from before holds had placements (revision 0005 -> 0006): a hold recorded then is read
as sitting on its one calendar, as it did, and can be released and re-held; downgrading drops the column."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text

from readout.adapters.sql import SqlUnitOfWork, create_engine_from_url, migrate
from readout.adapters.sql.migration import _config

AT = datetime(2026, 11, 12, 15, tzinfo=UTC)
DANA = "caldav://dav.example/cal/dana/"


@pytest.fixture
def old_store(blank_database_url: str) -> Iterator[Engine]:
    """A store at revision 0005 (a hold has one calendar)."""
    engine = create_engine_from_url(blank_database_url)
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0005")
    yield engine
    engine.dispose()


def _old_hold(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO holds (uid, escalation_id, slot_start, slot_end, calendar, placed_at, expires_at,"
                " status, calendar_ref) VALUES (:uid, 'ESC-1', :start, :end, :calendar, :at, :expires,"
                " 'live', :ref)"
            ),
            {
                "uid": f"ESC-1/20261117T180000Z/{DANA}",
                "start": datetime(2026, 11, 17, 18),
                "end": datetime(2026, 11, 17, 19),
                "calendar": DANA,
                "at": AT.replace(tzinfo=None),
                "expires": datetime(2026, 11, 13, 15),
                "ref": '{"etag": "e1"}',
            },
        )


def test_a_hold_from_before_placements_is_read_on_its_one_calendar(old_store: Engine) -> None:
    _old_hold(old_store)

    migrate(old_store)

    with SqlUnitOfWork(old_store) as uow:
        [hold] = uow.holds.of("ESC-1")
    assert [(p.calendar, p.uid, p.ref) for p in hold.targets] == [
        (DANA, f"ESC-1/20261117T180000Z/{DANA}", '{"etag": "e1"}')
    ]
    assert not hold.ledger_only


def test_downgrading_drops_the_placements_and_keeps_the_hold(old_store: Engine) -> None:
    _old_hold(old_store)
    migrate(old_store)
    config = _config()
    with old_store.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0005")

    assert "placements" not in {c["name"] for c in inspect(old_store).get_columns("holds")}
    with old_store.connect() as connection:
        assert connection.execute(text("SELECT calendar FROM holds")).scalars().all() == [DANA]
