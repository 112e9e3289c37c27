"""The SQL unit of work: one connection, one transaction, every port bound to it.

``with uow: ...; uow.commit()`` commits; leaving the block without ``commit`` rolls back, exactly like
``MemoryUnitOfWork``. After ``commit`` the same block may go on: the next statement starts a new
transaction (SQLAlchemy's autobegin), which is again rolled back unless committed.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from readout.adapters.sql.auth import (
    SqlApiTokens,
    SqlIdempotencyKeys,
    SqlLoginThrottle,
    SqlPasswords,
    SqlSessions,
)
from readout.adapters.sql.calendar_marks import SqlCalendarMarks
from readout.adapters.sql.effects import SqlEffects
from readout.adapters.sql.engine import BUSY_TIMEOUT_SECONDS, writer_lock
from readout.adapters.sql.failures import store_failure
from readout.adapters.sql.ledgers import SqlExceptionRequests, SqlHoldLedger, SqlWaivers
from readout.adapters.sql.outcomes import SqlOutcomeRecords
from readout.adapters.sql.pick_links import SqlPickLinks
from readout.adapters.sql.repositories import (
    SqlAuditLog,
    SqlCaseVersions,
    SqlEscalations,
    SqlPlans,
    SqlUsers,
)
from readout.adapters.sql.user_audit import SqlUserAudit
from readout.services.ports import (
    ApiTokens,
    AuditLog,
    CalendarMarks,
    CaseVersions,
    Effects,
    Escalations,
    ExceptionRequests,
    HoldLedger,
    IdempotencyKeys,
    LoginThrottle,
    Passwords,
    PickLinks,
    Plans,
    Sessions,
    UnitOfWork,
    UserAudit,
    Users,
    Waivers,
)

__all__ = ["SqlUnitOfWork"]


class SqlUnitOfWork:
    """A unit of work over a SQLAlchemy engine made by ``create_engine_from_url``."""

    escalations: Escalations
    cases: CaseVersions
    plans: Plans
    holds: HoldLedger
    exceptions: ExceptionRequests
    waivers: Waivers
    audit: AuditLog
    users: Users
    effects: Effects
    user_audit: UserAudit
    passwords: Passwords
    sessions: Sessions
    tokens: ApiTokens
    login_throttle: LoginThrottle
    idempotency: IdempotencyKeys
    pick_links: PickLinks
    calendar_marks: CalendarMarks
    outcomes: SqlOutcomeRecords

    def __init__(self, engine: Engine, *, read_only: bool = False) -> None:
        """``read_only``: on SQLite, a deferred transaction that does not take the write lock (WAL readers
        never wait for a writer), for commands that only look."""
        self.engine = engine
        self.read_only = read_only
        self._connection: Connection | None = None
        self._queued: threading.RLock | None = None

    def __enter__(self) -> SqlUnitOfWork:
        if self._connection is not None:
            raise RuntimeError("this unit of work is already open; make a new one for a nested block")
        self._queued = self._queue()
        try:
            connection = self.engine.connect()
        except DBAPIError as error:
            self._leave_queue()
            raise store_failure(error, self.engine.url) from None
        self._connection = connection.execution_options(readout_read_only=self.read_only)
        self.escalations = SqlEscalations(connection)
        self.cases = SqlCaseVersions(connection)
        self.plans = SqlPlans(connection)
        self.holds = SqlHoldLedger(connection)
        self.exceptions = SqlExceptionRequests(connection)
        self.waivers = SqlWaivers(connection)
        self.audit = SqlAuditLog(connection)
        self.users = SqlUsers(connection)
        self.effects = SqlEffects(connection)
        self.user_audit = SqlUserAudit(connection)
        self.passwords = SqlPasswords(connection)
        self.sessions = SqlSessions(connection)
        self.tokens = SqlApiTokens(connection)
        self.login_throttle = SqlLoginThrottle(connection)
        self.idempotency = SqlIdempotencyKeys(connection)
        self.pick_links = SqlPickLinks(connection)
        self.calendar_marks = SqlCalendarMarks(connection)
        self.outcomes = SqlOutcomeRecords(connection)  # the outcome measures' queries (docs/outcomes.md)
        return self

    def __exit__(self, *exc: object) -> None:
        """Roll back whatever was not committed and give the connection back to the pool; a database
        failure inside the block becomes one ``StoreUnavailable`` line."""
        error = exc[1] if len(exc) > 1 else None
        connection, self._connection = self._connection, None
        try:
            if connection is not None:
                try:
                    connection.rollback()
                finally:
                    connection.close()
                    self._leave_queue()
        except DBAPIError as failure:
            if not isinstance(error, DBAPIError):
                raise store_failure(failure, self.engine.url) from None
        if isinstance(error, DBAPIError):
            raise store_failure(error, self.engine.url) from None

    def _queue(self) -> threading.RLock | None:
        """Wait for this process's other writers on SQLite (engine.writer_lock), at most the busy timeout
        (then SQLite's own busy handler decides, as between processes)."""
        lock = None if self.read_only else writer_lock(self.engine)
        if lock is not None and lock.acquire(timeout=BUSY_TIMEOUT_SECONDS):
            return lock
        return None

    def _leave_queue(self) -> None:
        queued, self._queued = self._queued, None
        if queued is not None:
            queued.release()

    def commit(self) -> None:
        """Make the changes durable."""
        if self._connection is None:
            raise RuntimeError("commit outside a 'with' block")
        try:
            self._connection.commit()
        except DBAPIError as error:
            raise store_failure(error, self.engine.url) from None


if TYPE_CHECKING:
    _conforms: type[UnitOfWork] = SqlUnitOfWork
