"""The store-derived metrics gauges (``readout.observability``) as a few aggregate queries in one read-only
transaction: counts and minimums only, each answered from an index or one pass over a table, never a row per
escalation brought back to Python."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, case, func, or_, select

from readout.adapters.sql.failures import store_failure
from readout.adapters.sql.tables import effects, escalations, holds
from readout.domain.effects import EffectStatus
from readout.domain.holds import HoldStatus

__all__ = ["sql_store_gauges"]

_OPEN = (EffectStatus.PENDING.value, EffectStatus.IN_FLIGHT.value)
_DEAD = (EffectStatus.FAILED.value, EffectStatus.UNCERTAIN.value)


def sql_store_gauges(engine: Engine, now: datetime) -> dict[str, Any]:
    """``StoreGauges`` fields, read in one short read-only transaction (on SQLite a deferred one that never
    waits for, nor blocks, a writer); a database failure is ``StoreUnavailable``."""
    from sqlalchemy.exc import DBAPIError

    try:
        with engine.connect() as connection:
            connection = connection.execution_options(readout_read_only=True)
            with connection.begin():
                return _read(connection, now)
    except DBAPIError as error:
        raise store_failure(error, engine.url) from None


def _read(connection: Connection, now: datetime) -> dict[str, Any]:
    by_state = {
        str(state): int(count)
        for state, count in connection.execute(
            select(escalations.c.state, func.count()).group_by(escalations.c.state)
        )
    }
    live = holds.c.status == HoldStatus.LIVE.value
    live_holds, oldest_overdue = connection.execute(
        select(
            func.count(case((holds.c.expires_at > now, 1))),
            func.min(case((holds.c.expires_at <= now, holds.c.expires_at))),
        ).where(live)
    ).one()
    # When a due effect became due: a pending one at its next attempt (or when written), an in-flight one
    # whose lease ran out at the lease's end.
    pending_due = and_(
        effects.c.status == EffectStatus.PENDING.value,
        or_(effects.c.next_at.is_(None), effects.c.next_at <= now),
    )
    stale = and_(effects.c.status == EffectStatus.IN_FLIGHT.value, effects.c.lease_until <= now)
    due_since = case(
        (and_(pending_due, effects.c.next_at.is_(None)), effects.c.created_at),
        (pending_due, effects.c.next_at),
        (stale, effects.c.lease_until),
    )
    depth, dead, oldest_due = connection.execute(
        select(
            func.count(case((effects.c.status.in_(_OPEN), 1))),
            func.count(case((effects.c.status.in_(_DEAD), 1))),
            func.min(due_since),
        ).where(effects.c.status.in_(_OPEN + _DEAD))
    ).one()
    return {
        "escalations": by_state,
        "live_holds": int(live_holds),
        "outbox_depth": int(depth),
        "outbox_oldest_due_seconds": _age(now, oldest_due),
        "dead_letters": int(dead),
        "reaper_lag_seconds": _age(now, oldest_overdue),
    }


def _age(now: datetime, since: Any) -> float:
    """Seconds from ``since`` to ``now``; 0 when there is none. An aggregate over a UTC column may come back
    as text (SQLite) or a naive datetime: it is read as UTC."""
    if since is None:
        return 0.0
    if isinstance(since, str):
        since = datetime.fromisoformat(since)
    if since.tzinfo is None:
        from datetime import UTC

        since = since.replace(tzinfo=UTC)
    return max(0.0, float((now - since).total_seconds()))
