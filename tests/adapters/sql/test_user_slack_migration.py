"""Upgrading a store from before Slack links (revision 0008 -> 0009) keeps its users, not linked; a link is
stored, read back and found by the Slack user id; downgrading drops the column and keeps the users."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text

from readout.adapters.sql import SqlUnitOfWork, create_engine_from_url, migrate
from readout.adapters.sql.migration import _config
from readout.domain.users import Role, User


@pytest.fixture
def at_0008(blank_database_url: str) -> Iterator[Engine]:
    engine = create_engine_from_url(blank_database_url)
    with engine.begin() as connection:
        config = _config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0008")
    yield engine
    engine.dispose()


def test_upgrading_keeps_users_unlinked_and_links_are_found_by_slack_id(at_0008: Engine) -> None:
    with at_0008.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, name, email, roles) VALUES ('omar', 'Omar', '', '[\"duty_manager\"]')"
            )
        )

    migrate(at_0008)

    with SqlUnitOfWork(at_0008) as uow:
        omar = uow.users.get("omar")
        assert omar is not None
        assert omar.slack is None
        uow.users.put(User("omar", "Omar", "", frozenset({Role.DUTY_MANAGER}), "U012ABCDEF"))
        uow.users.put(User("lena", "Lena", "", frozenset({Role.SUPPORT_LEADERSHIP})))
        uow.commit()
    with SqlUnitOfWork(at_0008) as uow:
        linked = uow.users.by_slack("U012ABCDEF")
        assert linked is not None
        assert (linked.id, linked.slack) == ("omar", "U012ABCDEF")
        assert uow.users.by_slack("U999") is None
        assert [u.slack for u in uow.users.list()] == [None, "U012ABCDEF"]
    with at_0008.begin() as connection:
        config = _config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0008")
    assert "slack" not in {c["name"] for c in inspect(at_0008).get_columns("users")}
    with at_0008.connect() as connection:
        assert connection.execute(text("SELECT id FROM users ORDER BY id")).scalars().all() == [
            "lena",
            "omar",
        ]
