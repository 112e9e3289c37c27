"""The ``Effects`` port (the outbox) over one SQLAlchemy connection (one transaction).

``add`` inserts inside a SAVEPOINT: an intent whose key exists is the same intent written again (a retried
command) and is not recorded twice. ``due`` orders by id, so effects run in the order they were decided.

Several workers on PostgreSQL. An effect is carried out once because its claim (``services.effects``) takes
its escalation's row lock (``SELECT ... FOR UPDATE``), finds it still due and marks it ``in_flight`` in that
transaction; a second worker waits for that lock, then finds it in flight. So that workers share the work
instead of queueing behind each other, the sweep over every escalation (``due()`` without an escalation, what
``readout worker`` runs) reads with ``FOR UPDATE OF escalations SKIP LOCKED``: an escalation another
transaction holds right now (a worker claiming or settling one of its effects, a person deciding on it) is
left out of this sweep with all its effects, and the next pass finds it. Whole escalations are skipped, never
single effects, so one worker never runs a later effect of an escalation while another still has an earlier
one to run (a release must not overtake the placing it undoes). A sweep for one escalation (the command that
just decided it carries out its own effects) skips nothing: it waits for the claim lock as before.

Leases keep the application's clock (``deps.clock``), not the database's ``now()``: every instant in the
record (``next_at``, hold expiries, audit entries) is on that clock, which a test or an ``--now`` rehearsal
pins, and a lease compared across two clocks would be wrong by their difference. A lease is not what makes
delivery safe (the row lock and the ``in_flight`` status are, and a settle stands only for the attempt it
claimed); clocks that disagree between worker machines can only make a stalled effect be picked up again
earlier or later, and a calendar write or a channel post (keyed) repeated after that does no harm while an
invitation becomes ``uncertain``, never sent twice. Keep worker machines on NTP.

SQLite has no row locks: every unit of work takes the database's write lock (``BEGIN IMMEDIATE``), so two
workers would be safe but only take turns; run one.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from readout.adapters.sql.tables import effects, escalations
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
        """Pending effects whose time has come and in-flight ones whose lease ran out, oldest first; on
        PostgreSQL a sweep over every escalation leaves out those another transaction holds right now."""
        pending = and_(
            effects.c.status == EffectStatus.PENDING.value,
            or_(effects.c.next_at.is_(None), effects.c.next_at <= now),
        )
        stale = and_(effects.c.status == EffectStatus.IN_FLIGHT.value, effects.c.lease_until <= now)
        query = select(effects).where(or_(pending, stale)).order_by(effects.c.id)
        if escalation_id is not None:
            query = query.where(effects.c.escalation_id == escalation_id)
        elif self._connection.dialect.name == "postgresql":
            query = query.join(escalations, escalations.c.id == effects.c.escalation_id).with_for_update(
                of=escalations, skip_locked=True
            )
        return [_effect(row) for row in self._connection.execute(query).mappings()]
