"""The SQL unit of work: one connection, one transaction, every port bound to it.

``with uow: ...; uow.commit()`` commits; leaving the block without ``commit`` rolls back, exactly like
``MemoryUnitOfWork``. After ``commit`` the same block may go on: the next statement starts a new
transaction (SQLAlchemy's autobegin), which is again rolled back unless committed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine

from readout.adapters.sql.effects import SqlEffects
from readout.adapters.sql.ledgers import SqlExceptionRequests, SqlHoldLedger, SqlWaivers
from readout.adapters.sql.repositories import SqlAuditLog, SqlEscalations, SqlPlans, SqlUsers
from readout.services.ports import (
    AuditLog,
    Effects,
    Escalations,
    ExceptionRequests,
    HoldLedger,
    Plans,
    UnitOfWork,
    Users,
    Waivers,
)

__all__ = ["SqlUnitOfWork"]


class SqlUnitOfWork:
    """A unit of work over a SQLAlchemy engine made by ``create_engine_from_url``."""

    escalations: Escalations
    plans: Plans
    holds: HoldLedger
    exceptions: ExceptionRequests
    waivers: Waivers
    audit: AuditLog
    users: Users
    effects: Effects

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Connection | None = None

    def __enter__(self) -> SqlUnitOfWork:
        if self._connection is not None:
            raise RuntimeError("this unit of work is already open; make a new one for a nested block")
        connection = self._connection = self.engine.connect()
        self.escalations = SqlEscalations(connection)
        self.plans = SqlPlans(connection)
        self.holds = SqlHoldLedger(connection)
        self.exceptions = SqlExceptionRequests(connection)
        self.waivers = SqlWaivers(connection)
        self.audit = SqlAuditLog(connection)
        self.users = SqlUsers(connection)
        self.effects = SqlEffects(connection)
        return self

    def __exit__(self, *exc: object) -> None:
        """Roll back whatever was not committed and give the connection back to the pool."""
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.rollback()
            finally:
                connection.close()

    def commit(self) -> None:
        """Make the changes durable."""
        if self._connection is None:
            raise RuntimeError("commit outside a 'with' block")
        self._connection.commit()


if TYPE_CHECKING:
    _conforms: type[UnitOfWork] = SqlUnitOfWork
