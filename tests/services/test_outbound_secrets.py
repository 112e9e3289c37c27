"""A feed's ``?token=...`` never reaches the store (issue 9, item 5): not the plan, not the append-only audit
trail, on the memory twin, SQLite and PostgreSQL; whether the feed was refused by the outbound policy or
failed on the wire."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from readout.bootstrap import calendar_reader
from readout.config import OutboundPolicy, Settings
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
    desk.open(GLOBEX)
    plan = desk.plan(GLOBEX_ID)
    assert plan is not None
    (unknown,) = [u for u in plan["unknown"] if u["id"] == "dana"]
    assert "?(redacted)" in unknown["error"]
    assert any("?(redacted)" in str(entry.payload) for entry in desk.audit(GLOBEX_ID))
    assert SECRET not in everything_stored(desk, store_uow)


def test_the_check_finds_a_token_that_is_stored(desk: Desk, store_uow: Callable[[], UnitOfWork]) -> None:
    # The assertion above can fail: a plan that kept the URL as written would be found.
    desk.open(GLOBEX)
    with store_uow() as uow:
        uow.plans.add(GLOBEX_ID, desk.clock(), {"unknown": [{"error": f"x?token={SECRET}"}]})
        uow.commit()
    assert SECRET in everything_stored(desk, store_uow)
