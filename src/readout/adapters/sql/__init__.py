"""The SQL store (SQLAlchemy 2 Core + Alembic) on SQLite or PostgreSQL.

Typical wiring: ``engine = create_engine_from_url(default_database_url(os.environ))``, then
``migrate(engine)`` once at start, then ``with SqlUnitOfWork(engine) as uow: ...; uow.commit()`` per command.
"""

from __future__ import annotations

from readout.adapters.sql.engine import create_engine_from_url, default_database_url
from readout.adapters.sql.migration import current_revision, head_revision, migrate
from readout.adapters.sql.unit_of_work import SqlUnitOfWork

__all__ = [
    "SqlUnitOfWork",
    "create_engine_from_url",
    "current_revision",
    "default_database_url",
    "head_revision",
    "migrate",
]
