"""The store tests run every contract on memory, SQLite and PostgreSQL."""

from tests.support.db_fixtures import (  # noqa: F401  (fixtures are found by name)
    blank_database_url,
    postgres_url,
    sql_uow_factory,
    uow_factory,
)
