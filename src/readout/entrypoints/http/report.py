"""``GET /v1/report``: the outcome measures over a period (docs/outcomes.md), exactly as ``readout report
--json`` prints them: the escalations approved (UTC date) from ``from`` to ``to``, both included, of
``customer`` when given, with deadlines measured as of the service's clock."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from readout.entrypoints.http.auth import Principal, require_scope
from readout.entrypoints.http.problems import Problem
from readout.entrypoints.http.responses import deps_of
from readout.services.outcomes import measure

__all__ = ["ReportOut", "router"]

router = APIRouter(tags=["report"])
read = require_scope("read")


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SpreadOut(_Closed):
    median_s: int | None
    p90_s: int | None


class TimeToViableOut(_Closed):
    reached: int
    not_yet: int
    total: SpreadOut
    machine: SpreadOut
    human_wait: SpreadOut


class FirstPassOut(_Closed):
    confirmed: int
    without_back_and_forth: int
    share: float | None
    reasons: dict[str, int]


class CausesOut(_Closed):
    escalated: int
    to_support_leadership: int
    by_cause: dict[str, int]


class DeadlinesOut(_Closed):
    met: int
    missed: int
    missed_confirmed_late: int
    missed_still_open: int
    missed_then_cancelled: int
    pending: int
    cancelled: int


class MeasuresOut(_Closed):
    escalations: int
    time_to_viable: TimeToViableOut
    first_pass: FirstPassOut
    escalation_causes: CausesOut
    deadlines: DeadlinesOut


class PeriodOut(_Closed):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    start: date | None = Field(None, alias="from")
    to: date | None = None
    customer: str | None = None


class ReportOut(_Closed):
    """The report: its period, the instant deadlines were judged at, the measures overall and per customer,
    and the definitions they follow (docs/outcomes.md)."""

    period: PeriodOut
    as_of: str
    awaiting_approval: int
    overall: MeasuresOut
    customers: dict[str, MeasuresOut]
    definitions: dict[str, str]


_PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {"description": what, "content": {"application/problem+json": {}}}
    for code, what in (
        (401, "not signed in"),
        (403, "the token's scope does not allow reading"),
        (422, "a date that is not YYYY-MM-DD, or a period that ends before it starts"),
    )
}


@router.get(
    "/v1/report",
    response_model=ReportOut,
    responses=_PROBLEMS,
    summary="The outcome measures over a period, overall and per customer",
)
def report(
    request: Request,
    _: Principal = Depends(read),  # noqa: B008
    start: Annotated[date | None, Query(alias="from", description="first approval date (UTC)")] = None,
    end: Annotated[date | None, Query(alias="to", description="last approval date (UTC)")] = None,
    customer: Annotated[str | None, Query(max_length=200, description="only this customer id")] = None,
) -> dict[str, Any]:
    """Time from approval to the first viable slot, the first-pass share, escalations by cause, deadlines."""
    if start is not None and end is not None and start > end:
        raise Problem(
            422,
            "invalid-period",
            "The period is not valid",
            f"from {start.isoformat()} is after to {end.isoformat()}",
            field="from",
        )
    return measure(deps_of(request), start=start, end=end, customer=customer).to_json()
