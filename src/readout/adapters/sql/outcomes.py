"""The outcome measures' records in SQL (``services.outcomes.OutcomeRecords``), on SQLite and PostgreSQL.

SQL does the selection and the per-escalation grouping: the escalations in scope (approval instant within
the period, the customer), their checkpoint counts as correlated counts (reviews, refused confirmations,
holds lost before the confirmation, exception requests), the audit entries that move the first measure's
clock with their payload's ``as_of`` and ``status`` read by the database's JSON operators, and the exception
requests. Python
(``services.outcomes``) parses instants and folds the facts into medians, shares and counts per customer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Connection, Select, and_, func, or_, select

from readout.adapters.sql.tables import audit_entries, escalations, exception_requests, holds
from readout.domain.audit import AS_OF
from readout.services.outcomes import (
    MOMENT_KINDS,
    NOT_LOST,
    CaseFacts,
    Moment,
    OutcomeRecords,
    RequestFacts,
    Scope,
    instant_of,
)

__all__ = ["SqlOutcomeRecords"]


def _in_scope(scope: Scope) -> ColumnElement[bool]:
    """Approved within the period (from its first instant to the one after it, UTC), of the customer."""
    conditions: list[ColumnElement[bool]] = [escalations.c.approved_at.is_not(None)]
    if scope.since is not None:
        conditions.append(escalations.c.approved_at >= scope.since)
    if scope.until is not None:
        conditions.append(escalations.c.approved_at < scope.until)
    if scope.customer is not None:
        conditions.append(escalations.c.customer_id == scope.customer)
    return and_(*conditions)


def _count_entries(kind: str) -> Any:
    return (
        select(func.count())
        .select_from(audit_entries)
        .where(audit_entries.c.escalation_id == escalations.c.id, audit_entries.c.kind == kind)
        .scalar_subquery()
    )


def _lost_holds() -> Any:
    """Holds ended before the confirmation for any reason but being the ones not chosen."""
    return (
        select(func.count())
        .select_from(holds)
        .where(
            holds.c.escalation_id == escalations.c.id,
            holds.c.status.in_(("expired", "released")),
            or_(holds.c.end_reason.is_(None), holds.c.end_reason != NOT_LOST),
            holds.c.ended_at <= escalations.c.confirmed_at,
        )
        .scalar_subquery()
    )


def _count_requests() -> Any:
    return (
        select(func.count())
        .select_from(exception_requests)
        .where(exception_requests.c.escalation_id == escalations.c.id)
        .scalar_subquery()
    )


def _case(row: Any) -> CaseFacts:
    confirmed = row[5] is not None
    return CaseFacts(
        row[0], row[1], row[2], row[3], row[4], row[5], row[6] if confirmed else None,
        int(row[7]), int(row[8]), int(row[9] or 0), int(row[10]),
    )  # fmt: skip


class SqlOutcomeRecords:
    """The records the measures fold, read over one connection."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def cases(self, scope: Scope) -> list[CaseFacts]:
        query = (
            select(
                escalations.c.id,
                escalations.c.customer_id,
                escalations.c.state,
                escalations.c.approved_at,
                escalations.c.deadline,
                escalations.c.confirmed_at,
                escalations.c.review_start,
                _count_entries("review"),
                _count_entries("confirmation_refused"),
                _lost_holds(),
                _count_requests(),
            )
            .where(_in_scope(scope))
            .order_by(escalations.c.id)
        )
        return [_case(row) for row in self._connection.execute(query)]

    def _scoped(self, query: Select[Any], escalation_id: Any, scope: Scope) -> Select[Any]:
        return query.join(escalations, escalations.c.id == escalation_id).where(_in_scope(scope))

    def moments(self, scope: Scope) -> list[Moment]:
        payload = audit_entries.c.payload
        query = self._scoped(
            select(
                audit_entries.c.escalation_id,
                audit_entries.c.seq,
                audit_entries.c.kind,
                audit_entries.c.at,
                payload[AS_OF].as_string(),
                payload["status"].as_string(),
            ).where(audit_entries.c.kind.in_(MOMENT_KINDS)),
            audit_entries.c.escalation_id,
            scope,
        ).order_by(audit_entries.c.escalation_id, audit_entries.c.seq)
        return [
            Moment(row[0], row[1], row[2], instant_of(row[3], row[4]), row[5])
            for row in self._connection.execute(query)
        ]

    def requests(self, scope: Scope) -> list[RequestFacts]:
        query = self._scoped(
            select(
                exception_requests.c.escalation_id,
                exception_requests.c.requested_at,
                exception_requests.c.decided_at,
                exception_requests.c.route,
                exception_requests.c.causes,
            ),
            exception_requests.c.escalation_id,
            scope,
        ).order_by(exception_requests.c.escalation_id, exception_requests.c.id)
        return [
            RequestFacts(row[0], row[1], row[2], row[3], tuple(str(c) for c in row[4] or ()))
            for row in self._connection.execute(query)
        ]

    def awaiting_approval(self, customer: str | None) -> int:
        query = select(func.count()).select_from(escalations).where(escalations.c.approved_at.is_(None))
        if customer is not None:
            query = query.where(escalations.c.customer_id == customer)
        return int(self._connection.execute(query).scalar_one())


if TYPE_CHECKING:
    _conforms: type[OutcomeRecords] = SqlOutcomeRecords
