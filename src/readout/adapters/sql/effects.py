"""The ``Effects`` port (the outbox) over one SQLAlchemy connection (one transaction).

``add`` inserts inside a SAVEPOINT: an intent whose key exists is the same intent written again (a retried
command) and is not recorded twice. ``due`` orders by id, so effects run in the order they were decided.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from readout.adapters.sql.tables import effects
from readout.domain.effects import Effect, EffectKind, EffectStatus
from readout.errors import NotFound

__all__ = ["SqlEffects"]


def _values(effect: Effect) -> dict[str, Any]:
    return {
        "escalation_id": effect.escalation_id,
        "kind": effect.kind.value,
        "key": effect.key,
        "payload": effect.payload,
        "created_at": effect.created_at,
        "status": effect.status.value,
        "attempts": effect.attempts,
        "next_at": effect.next_at,
        "lease_until": effect.lease_until,
        "last_error": effect.last_error,
        "done_at": effect.done_at,
        "result": effect.result,
    }


def _effect(row: RowMapping) -> Effect:
    return Effect(
        id=row["id"],
        escalation_id=row["escalation_id"],
        kind=EffectKind(row["kind"]),
        key=row["key"],
        payload=row["payload"],
        created_at=row["created_at"],
        status=EffectStatus(row["status"]),
        attempts=row["attempts"],
        next_at=row["next_at"],
        lease_until=row["lease_until"],
        last_error=row["last_error"],
        done_at=row["done_at"],
        result=row["result"],
    )


class SqlEffects:
    """Intents recorded with decisions, and their outcomes."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, effect: Effect) -> Effect | None:
        """Record the intent and return it with its id; None when an intent with that key exists."""
        try:
            with self._connection.begin_nested():
                result = self._connection.execute(insert(effects).values(**_values(effect)))
        except IntegrityError:
            return None
        row_id = result.inserted_primary_key[0] if result.inserted_primary_key else None
        if not isinstance(row_id, int):
            raise RuntimeError("the database returned no id for the new effect")
        return replace(effect, id=row_id)

    def get(self, effect_id: int) -> Effect | None:
        """One effect, or None."""
        row = self._connection.execute(select(effects).where(effects.c.id == effect_id)).mappings().first()
        return _effect(row) if row is not None else None

    def update(self, effect: Effect) -> None:
        """Write a changed effect."""
        written = self._connection.execute(
            update(effects).where(effects.c.id == effect.id).values(**_values(effect))
        )
        if written.rowcount != 1:
            raise NotFound(f"effect {effect.id} is not recorded")

    def of(self, escalation_id: str) -> list[Effect]:
        """Every effect of the escalation, in the order decided."""
        query = select(effects).where(effects.c.escalation_id == escalation_id).order_by(effects.c.id)
        return [_effect(row) for row in self._connection.execute(query).mappings()]

    def due(self, now: datetime, escalation_id: str | None = None) -> list[Effect]:
        """Pending effects whose time has come and in-flight ones whose lease ran out, oldest first."""
        pending = and_(
            effects.c.status == EffectStatus.PENDING.value,
            or_(effects.c.next_at.is_(None), effects.c.next_at <= now),
        )
        stale = and_(effects.c.status == EffectStatus.IN_FLIGHT.value, effects.c.lease_until <= now)
        query = select(effects).where(or_(pending, stale)).order_by(effects.c.id)
        if escalation_id is not None:
            query = query.where(effects.c.escalation_id == escalation_id)
        return [_effect(row) for row in self._connection.execute(query).mappings()]
