"""Holds, exception requests and waivers over one SQLAlchemy connection (one transaction).

A hold is one row per escalation and slot; the calendars it sits on are its ``placements`` (a JSON list on
the row, written and read with it, so a hold and its placements never disagree).

The one-live-hold rule is the partial unique index ``uq_holds_one_live_per_slot``: when two processes race
to hold the same slot for the same escalation (on any calendar), the database lets exactly one insert
through (on PostgreSQL the second waits for the first to commit, then fails); the loser's insert is rolled
back to a SAVEPOINT and ``add`` returns None, leaving the rest of its transaction intact.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, insert, select, update
from sqlalchemy.exc import IntegrityError

from readout.adapters.sql.tables import exception_requests, holds, waivers
from readout.domain.exception_requests import Decision, ExceptionRequest, NearMissOption, Route, Waiver
from readout.domain.holds import Hold, HoldStatus, Placement
from readout.domain.intervals import Interval
from readout.errors import NotFound

__all__ = ["SqlExceptionRequests", "SqlHoldLedger", "SqlWaivers"]


def _hold_values(hold: Hold) -> dict[str, Any]:
    return {
        "uid": hold.uid,
        "escalation_id": hold.escalation_id,
        "slot_start": hold.slot.start,
        "slot_end": hold.slot.end,
        "calendar": hold.calendar,
        "placed_at": hold.placed_at,
        "expires_at": hold.expires_at,
        "status": hold.status.value,
        "ended_at": hold.ended_at,
        "end_reason": hold.end_reason,
        "calendar_ref": hold.calendar_ref,
        "placements": [asdict(p) for p in hold.placements] if hold.placements else None,
    }


def _hold(row: RowMapping) -> Hold:
    return Hold(
        id=row["id"],
        uid=row["uid"],
        escalation_id=row["escalation_id"],
        slot=Interval(row["slot_start"], row["slot_end"]),
        calendar=row["calendar"],
        placed_at=row["placed_at"],
        expires_at=row["expires_at"],
        status=HoldStatus(row["status"]),
        ended_at=row["ended_at"],
        end_reason=row["end_reason"],
        calendar_ref=row["calendar_ref"],
        placements=tuple(_placement(value) for value in row["placements"] or ()),
    )


def _placement(value: dict[str, Any]) -> Placement:
    return Placement(
        value["calendar"], value.get("person"), value.get("zone"), value["uid"], value.get("ref")
    )


def _is_unique_violation(error: IntegrityError) -> bool:
    # psycopg: UniqueViolation (SQLSTATE 23505); sqlite3: "UNIQUE constraint failed: ..."
    return getattr(error.orig, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(error.orig)


class SqlHoldLedger:
    """The ``HoldLedger`` port."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, hold: Hold) -> Hold | None:
        """Record a live hold and return it with its row id; None when that slot is already held live."""
        try:
            with self._connection.begin_nested():
                result = self._connection.execute(insert(holds).values(**_hold_values(hold)))
        except IntegrityError as error:
            if _is_unique_violation(error):
                return None
            raise
        row_id = result.inserted_primary_key[0] if result.inserted_primary_key else None
        if not isinstance(row_id, int):
            raise RuntimeError("the database returned no id for the new hold")
        return replace(hold, id=row_id)

    def update(self, hold: Hold) -> None:
        """Write a changed hold; NotFound for an id the ledger never gave out."""
        written = self._connection.execute(
            update(holds).where(holds.c.id == hold.id).values(**_hold_values(hold))
        )
        if written.rowcount != 1:
            raise NotFound(f"hold {hold.id} is not in the ledger")

    def of(self, escalation_id: str) -> list[Hold]:
        """Every hold of the escalation, oldest first."""
        query = (
            select(holds)
            .where(holds.c.escalation_id == escalation_id)
            .order_by(holds.c.placed_at, holds.c.id)
        )
        return [_hold(row) for row in self._connection.execute(query).mappings()]

    def expired(self, now: datetime) -> list[Hold]:
        """Live holds whose expiry has passed, across escalations, soonest expired first."""
        query = (
            select(holds)
            .where(holds.c.status == HoldStatus.LIVE.value, holds.c.expires_at <= now)
            .order_by(holds.c.expires_at, holds.c.id)
        )
        return [_hold(row) for row in self._connection.execute(query).mappings()]

    def targets(self, ending_after: datetime) -> list[Placement]:
        """The placements of every hold whose slot ends after ``ending_after`` (its own calendar for one
        recorded with none), in one query."""
        query = select(holds.c.calendar, holds.c.uid, holds.c.calendar_ref, holds.c.placements).where(
            holds.c.slot_end > ending_after
        )
        found: list[Placement] = []
        for row in self._connection.execute(query).mappings():
            if row["placements"]:
                found += [_placement(value) for value in row["placements"]]
            else:
                found.append(Placement(row["calendar"], None, None, row["uid"], row["calendar_ref"]))
        return found


def _option_value(option: NearMissOption) -> dict[str, Any]:
    return {
        "start": option.slot.start.astimezone(UTC).isoformat(),
        "end": option.slot.end.astimezone(UTC).isoformat(),
        "waivers": list(option.waivers),
        "interpreter": option.interpreter,
    }


def _option(value: dict[str, Any]) -> NearMissOption:
    slot = Interval(datetime.fromisoformat(value["start"]), datetime.fromisoformat(value["end"]))
    return NearMissOption(slot=slot, waivers=tuple(value["waivers"]), interpreter=value["interpreter"])


def _request_values(request: ExceptionRequest) -> dict[str, Any]:
    return {
        "escalation_id": request.escalation_id,
        "requested_at": request.requested_at,
        "requested_by": request.requested_by,
        "route": request.route.value,
        "causes": list(request.causes),
        "options": [_option_value(option) for option in request.options],
        "deadline": request.deadline,
        "reason": request.reason,
        "decision": request.decision.value,
        "decided_by": request.decided_by,
        "decided_at": request.decided_at,
        "decision_reason": request.decision_reason,
    }


def _request(row: RowMapping) -> ExceptionRequest:
    return ExceptionRequest(
        id=row["id"],
        escalation_id=row["escalation_id"],
        requested_at=row["requested_at"],
        requested_by=row["requested_by"],
        route=Route(row["route"]),
        causes=tuple(row["causes"]),
        options=tuple(_option(value) for value in row["options"]),
        deadline=row["deadline"],
        reason=row["reason"],
        decision=Decision(row["decision"]),
        decided_by=row["decided_by"],
        decided_at=row["decided_at"],
        decision_reason=row["decision_reason"],
    )


class SqlExceptionRequests:
    """The ``ExceptionRequests`` port."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, request: ExceptionRequest) -> ExceptionRequest:
        """Store the request under a new id (the one it carries is ignored) and return it with that id."""
        result = self._connection.execute(insert(exception_requests).values(**_request_values(request)))
        row_id = result.inserted_primary_key[0] if result.inserted_primary_key else None
        if not isinstance(row_id, int):
            raise RuntimeError("the database returned no id for the new exception request")
        return replace(request, id=row_id)

    def update(self, request: ExceptionRequest) -> None:
        """Write a decided request; NotFound for an id never given out."""
        statement = (
            update(exception_requests)
            .where(exception_requests.c.id == request.id)
            .values(**_request_values(request))
        )
        if self._connection.execute(statement).rowcount != 1:
            raise NotFound(f"exception request {request.id} does not exist")

    def of(self, escalation_id: str) -> list[ExceptionRequest]:
        """The escalation's requests, oldest first."""
        query = (
            select(exception_requests)
            .where(exception_requests.c.escalation_id == escalation_id)
            .order_by(exception_requests.c.id)
        )
        return [_request(row) for row in self._connection.execute(query).mappings()]


class SqlWaivers:
    """The ``Waivers`` port."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, waiver: Waiver) -> None:
        """Record a waiver."""
        self._connection.execute(
            insert(waivers).values(
                escalation_id=waiver.escalation_id,
                request_id=waiver.request_id,
                slot_start=waiver.slot.start,
                slot_end=waiver.slot.end,
                family=waiver.family,
                approved_by=waiver.approved_by,
                approved_at=waiver.approved_at,
                reason=waiver.reason,
            )
        )

    def of(self, escalation_id: str) -> list[Waiver]:
        """The escalation's waivers, oldest first."""
        query = select(waivers).where(waivers.c.escalation_id == escalation_id).order_by(waivers.c.id)
        return [
            Waiver(
                escalation_id=row["escalation_id"],
                request_id=row["request_id"],
                slot=Interval(row["slot_start"], row["slot_end"]),
                family=row["family"],
                approved_by=row["approved_by"],
                approved_at=row["approved_at"],
                reason=row["reason"],
            )
            for row in self._connection.execute(query).mappings()
        ]
