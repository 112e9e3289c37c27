"""Credentials and replayable responses over one SQLAlchemy connection: passwords, sessions, API tokens,
failed sign-ins, and ``Idempotency-Key`` responses.

``LoginThrottle.failures`` reads with ``SELECT ... FOR UPDATE`` (PostgreSQL; SQLite's ``BEGIN IMMEDIATE``
already serialises writers), and ``fail`` is one upsert, so processes counting failures of the same key at
once never lose a count. Inserts that can hit a key run inside a SAVEPOINT (see ``repositories``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, RowMapping, case, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from readout.adapters.sql.tables import api_tokens, idempotency_keys, login_failures, passwords, sessions
from readout.domain.auth import ApiToken, PasswordRecord, Session
from readout.errors import Conflict
from readout.services.ports import StoredResponse

__all__ = ["SqlApiTokens", "SqlIdempotencyKeys", "SqlLoginThrottle", "SqlPasswords", "SqlSessions"]

_PRUNE_BATCH = 500


def _upsert(connection: Connection) -> Any:
    return (postgresql if connection.dialect.name == "postgresql" else sqlite).insert


class SqlPasswords:
    """The ``Passwords`` port."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def get(self, user_id: str) -> PasswordRecord | None:
        row = (
            self._connection.execute(select(passwords).where(passwords.c.user_id == user_id))
            .mappings()
            .first()
        )
        if row is None:
            return None
        return PasswordRecord(row["user_id"], row["hash"], row["set_at"], row["set_by"])

    def put(self, record: PasswordRecord) -> None:
        values = {"hash": record.hash, "set_at": record.set_at, "set_by": record.set_by}
        statement = (
            _upsert(self._connection)(passwords)
            .values(user_id=record.user_id, **values)
            .on_conflict_do_update(index_elements=["user_id"], set_=values)
        )
        self._connection.execute(statement)


def _session(row: RowMapping) -> Session:
    return Session(
        row["id"],
        row["user_id"],
        row["created_at"],
        row["last_seen_at"],
        row["expires_at"],
        row["revoked_at"],
        row["revoked_by"],
    )


class SqlSessions:
    """The ``Sessions`` port."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, session: Session) -> None:
        self._connection.execute(insert(sessions).values(**_session_values(session)))

    def get(self, session_id: str) -> Session | None:
        row = self._connection.execute(select(sessions).where(sessions.c.id == session_id)).mappings().first()
        return _session(row) if row is not None else None

    def update(self, session: Session) -> None:
        values = _session_values(session)
        del values["id"]
        self._connection.execute(update(sessions).where(sessions.c.id == session.id).values(**values))

    def touch(self, session_id: str, at: datetime) -> None:
        self._connection.execute(
            update(sessions)
            .where(sessions.c.id == session_id, sessions.c.last_seen_at < at)
            .values(last_seen_at=at)
        )

    def revoke_user(self, user_id: str, at: datetime, by: str) -> int:
        done = self._connection.execute(
            update(sessions)
            .where(sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None), sessions.c.expires_at > at)
            .values(revoked_at=at, revoked_by=by)
        )
        return done.rowcount

    def of(self, user_id: str) -> list[Session]:
        query = select(sessions).where(sessions.c.user_id == user_id).order_by(sessions.c.created_at)
        return [_session(row) for row in self._connection.execute(query).mappings()]


def _session_values(session: Session) -> dict[str, Any]:
    return {
        "id": session.id,
        "user_id": session.user_id,
        "created_at": session.created_at,
        "last_seen_at": session.last_seen_at,
        "expires_at": session.expires_at,
        "revoked_at": session.revoked_at,
        "revoked_by": session.revoked_by,
    }


def _token(row: RowMapping) -> ApiToken:
    return ApiToken(
        id=row["id"],
        user_id=row["user_id"],
        name=row["name"],
        secret_hash=row["secret_hash"],
        scopes=frozenset(row["scopes"]),
        created_at=row["created_at"],
        created_by=row["created_by"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
        revoked_by=row["revoked_by"],
        last_used_at=row["last_used_at"],
    )


class SqlApiTokens:
    """The ``ApiTokens`` port."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, token: ApiToken) -> None:
        values = {**_token_values(token), "id": token.id}
        try:
            with self._connection.begin_nested():
                self._connection.execute(insert(api_tokens).values(**values))
        except IntegrityError as error:
            raise Conflict(f"an API token {token.id} already exists") from error

    def get(self, token_id: str) -> ApiToken | None:
        query = select(api_tokens).where(api_tokens.c.id == token_id)
        row = self._connection.execute(query).mappings().first()
        return _token(row) if row is not None else None

    def update(self, token: ApiToken) -> None:
        self._connection.execute(
            update(api_tokens).where(api_tokens.c.id == token.id).values(**_token_values(token))
        )

    def touch(self, token_id: str, at: datetime) -> None:
        self._connection.execute(
            update(api_tokens).where(api_tokens.c.id == token_id).values(last_used_at=at)
        )

    def of(self, user_id: str | None = None) -> list[ApiToken]:
        query = select(api_tokens).order_by(api_tokens.c.created_at, api_tokens.c.id)
        if user_id is not None:
            query = query.where(api_tokens.c.user_id == user_id)
        return [_token(row) for row in self._connection.execute(query).mappings()]


def _token_values(token: ApiToken) -> dict[str, Any]:
    return {
        "user_id": token.user_id,
        "name": token.name,
        "secret_hash": token.secret_hash,
        "scopes": sorted(token.scopes),
        "created_at": token.created_at,
        "created_by": token.created_by,
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
        "revoked_by": token.revoked_by,
        "last_used_at": token.last_used_at,
    }


class SqlLoginThrottle:
    """The ``LoginThrottle`` port."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def failures(self, key: str) -> tuple[int, datetime] | None:
        query = select(login_failures).where(login_failures.c.key == key).with_for_update()
        row = self._connection.execute(query).mappings().first()
        return (row["failures"], row["last_failure_at"]) if row is not None else None

    def fail(self, key: str, at: datetime, forget_before: datetime) -> int:
        counted = case(
            (login_failures.c.last_failure_at < forget_before, 1),
            else_=login_failures.c.failures + 1,
        )
        latest = case((login_failures.c.last_failure_at < at, at), else_=login_failures.c.last_failure_at)
        statement = (
            _upsert(self._connection)(login_failures)
            .values(key=key, failures=1, last_failure_at=at)
            .on_conflict_do_update(
                index_elements=["key"], set_={"failures": counted, "last_failure_at": latest}
            )
        )
        self._connection.execute(statement)
        query = select(login_failures.c.failures).where(login_failures.c.key == key)
        return int(self._connection.execute(query).scalar_one())

    def forgive(self, key: str) -> None:
        self._connection.execute(
            update(login_failures)
            .where(login_failures.c.key == key, login_failures.c.failures > 0)
            .values(failures=login_failures.c.failures - 1)
        )

    def clear(self, key: str) -> None:
        self._connection.execute(delete(login_failures).where(login_failures.c.key == key))

    def prune(self, before: datetime) -> None:
        """Delete old keys, skipping any another sign-in has locked (so that two prunes never deadlock),
        at most ``_PRUNE_BATCH`` a time."""
        stale = (
            select(login_failures.c.key)
            .where(login_failures.c.last_failure_at < before)
            .limit(_PRUNE_BATCH)
            .with_for_update(skip_locked=True)
        )
        keys = list(self._connection.execute(stale).scalars())
        if keys:
            self._connection.execute(delete(login_failures).where(login_failures.c.key.in_(keys)))


class SqlIdempotencyKeys:
    """The ``IdempotencyKeys`` port."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def get(self, principal_id: str, key: str) -> StoredResponse | None:
        query = select(idempotency_keys).where(
            idempotency_keys.c.principal_id == principal_id, idempotency_keys.c.key == key
        )
        row = self._connection.execute(query).mappings().first()
        if row is None:
            return None
        return StoredResponse(
            row["principal_id"],
            row["key"],
            row["method"],
            row["path"],
            row["request_digest"],
            row["status"],
            row["body"],
            row["created_at"],
        )

    def put(self, response: StoredResponse) -> bool:
        values = {
            "principal_id": response.principal_id,
            "key": response.key,
            "method": response.method,
            "path": response.path,
            "request_digest": response.request_digest,
            "status": response.status,
            "body": response.body,
            "created_at": response.created_at,
        }
        try:
            with self._connection.begin_nested():
                self._connection.execute(insert(idempotency_keys).values(**values))
        except IntegrityError:
            return False
        return True

    def _reservation(self, reserved: StoredResponse) -> ColumnElement[bool]:
        """The WHERE clause naming the reservation made at ``reserved.created_at``."""
        table = idempotency_keys.c
        return (
            (table.principal_id == reserved.principal_id)
            & (table.key == reserved.key)
            & (table.status == StoredResponse.IN_PROGRESS)
            & (table.created_at == reserved.created_at)
        )

    def complete(self, response: StoredResponse) -> bool:
        answered = update(idempotency_keys).where(self._reservation(response))
        done = self._connection.execute(answered.values(status=response.status, body=response.body))
        return done.rowcount == 1

    def remove(self, reservation: StoredResponse) -> None:
        self._connection.execute(delete(idempotency_keys).where(self._reservation(reservation)))

    def take_over(self, stale: StoredResponse, fresh: StoredResponse) -> bool:
        taken = update(idempotency_keys).where(self._reservation(stale))
        values = {
            "method": fresh.method,
            "path": fresh.path,
            "request_digest": fresh.request_digest,
            "status": fresh.status,
            "body": fresh.body,
            "created_at": fresh.created_at,
        }
        return self._connection.execute(taken.values(**values)).rowcount == 1

    def prune(self, before: datetime) -> None:
        """As ``SqlLoginThrottle.prune``: skip rows another request has locked, ``_PRUNE_BATCH`` at a time."""
        table = idempotency_keys.c
        stale = (
            select(table.principal_id, table.key)
            .where(table.created_at < before)
            .limit(_PRUNE_BATCH)
            .with_for_update(skip_locked=True)
        )
        for principal_id, key in list(self._connection.execute(stale)):
            self._connection.execute(
                delete(idempotency_keys).where(table.principal_id == principal_id, table.key == key)
            )
