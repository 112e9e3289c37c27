"""Bring a database's schema up to date, programmatically (no ``alembic.ini`` needed at run time).

The Alembic environment and revisions live in ``migrations/`` inside the package, so they ship with it.
``migrate`` runs in one transaction: on PostgreSQL DDL is transactional and a transaction-scoped advisory
lock makes two processes migrating at once take turns; on SQLite the transaction starts with
``BEGIN IMMEDIATE`` (see ``engine``), which does the same.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

__all__ = ["current_revision", "head_revision", "migrate"]

_MIGRATIONS = Path(__file__).with_name("migrations")
_ADVISORY_LOCK = 0x7E4D_0A07  # arbitrary, fixed: "Readout migrations" on a shared PostgreSQL server


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def migrate(engine: Engine) -> None:
    """Upgrade the database to the newest revision; a database already there is left as it is (checked
    without taking SQLite's write lock, so that a command finds a busy store only when it writes)."""
    config = _config()
    with engine.connect() as looking:
        looking = looking.execution_options(readout_read_only=True)
        if MigrationContext.configure(looking).get_current_revision() == head_revision():
            return
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for a database never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision this version of Readout knows."""
    return ScriptDirectory.from_config(_config()).get_current_head()
