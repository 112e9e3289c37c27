"""A feed's ``?token=...`` never reaches the store (issue 9, item 5): a case naming one is not stored as an
escalation's record (issue 10), and a plan made from it (``readout plan CASE``) names the feed redacted; on
the memory twin, SQLite and PostgreSQL; whether the feed was refused by the outbound policy or failed on the
wire."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from readout.adapters.casefile.loader import load_case
from readout.bootstrap import calendar_reader
from readout.config import OutboundPolicy, Settings
from readout.domain.plan import Plan, PlanStatus, Unreadable
from readout.errors import Refused
from readout.services.planning import plan_case
from readout.services.ports import UnitOfWork
from tests.services.flows import GLOBEX, GLOBEX_ID, Desk, edit
from tests.services.test_privacy import everything_stored
from tests.support.ics_http_server import LOOPBACK, closed_port

SECRET = "SECRET-feed-token-4711"


@pytest.mark.parametrize("policy", [OutboundPolicy(), LOOPBACK], ids=["refused", "allowed"])
def test_issue_9_a_feed_token_is_not_stored_in_plans_or_the_audit_trail(
    desk: Desk, store_uow: Callable[[], UnitOfWork], policy: OutboundPolicy
) -> None:
    desk = dataclasses.replace(
        desk, deps=dataclasses.replace(desk.deps, reader=calendar_reader(Settings(outbound=policy)))
    )
    url = f"http://127.0.0.1:{closed_port()}/dana.ics?token={SECRET}"
    edit(desk.copy(GLOBEX), "calendars/dana.ics", url)

    with pytest.raises(Refused, match=r"dana.ics\?\(redacted\) carries a query") as refused:
        desk.open(GLOBEX)
    assert SECRET not in str(refused.value)
    assert SECRET not in everything_stored(desk, store_uow)
    with desk.deps.uow() as uow:
        assert uow.escalations.list() == []

    planned = plan_case(load_case(desk.copy(GLOBEX)), desk.deps.reader, desk.clock())
    (unknown,) = [u for u in planned.plan.unknown if u.id == "dana"]
    assert "?(redacted)" in unknown.error
    assert SECRET not in unknown.error


def test_the_check_finds_a_token_that_is_stored(desk: Desk, store_uow: Callable[[], UnitOfWork]) -> None:
    # The assertion above can fail: a plan that kept the URL as written would be found.
    desk.open(GLOBEX)
    with store_uow() as uow:
        leaky = Plan(GLOBEX_ID, PlanStatus.READY, unknown=(Unreadable("dana", "x", f"x?token={SECRET}"),))
        uow.plans.add(GLOBEX_ID, desk.clock(), leaky)
        uow.commit()
    assert SECRET in everything_stored(desk, store_uow)
