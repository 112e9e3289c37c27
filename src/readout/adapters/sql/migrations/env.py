"""Alembic environment for the SQL store.

Readout itself runs migrations through ``readout.adapters.sql.migration.migrate``, which hands over an open
connection in ``config.attributes["connection"]``. Developers can also use the ``alembic`` command from the
repository root (``alembic.ini`` there): the database is then ``sqlalchemy.url`` when given, else
``READOUT_DATABASE_URL`` or the default SQLite file.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

from readout.adapters.sql.engine import create_engine_from_url, default_database_url
from readout.adapters.sql.tables import metadata


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run() -> None:
    config = context.config
    given = config.attributes.get("connection")
    if isinstance(given, Connection):
        _configure_and_run(given)
        return
    url = config.get_main_option("sqlalchemy.url") or default_database_url(os.environ)
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine_from_url(url)
    try:
        with engine.begin() as connection:
            _configure_and_run(connection)
    finally:
        engine.dispose()


_run()
