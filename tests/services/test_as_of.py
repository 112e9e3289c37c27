"""The planning instant: ``--now``, else the case file's own ``now:``, else the clock, the same for ``plan CASE``,
``open``, ``update`` and re-plans; the audit says what a decision was "as of" when it was not the clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import yaml

from readout.adapters.casefile.loader import read_case_file
from readout.services.context import AsOf, Deps
from readout.services.escalations import open_escalation, plan_escalation
from tests.services.flows import EM, GLOBEX, GLOBEX_ID, Desk, u

CASE_NOW = "2026-11-12T15:00:00Z"  # examples/globex-sso-outage: now: 2026-11-12T09:00:00-06:00


def _unpinned(desk: Desk) -> Deps:
    """The deps of a run without --now: the test clock stands for the wall clock."""
    return replace(desk.deps, pinned=False)


def test_open_plans_as_of_the_case_files_now_like_plan_does(desk: Desk) -> None:
    case = desk.copy(GLOBEX)
    assert yaml.safe_load(case.read_text())["now"]
    desk.clock.set(u(2026, 12, 4, 19))  # the real day: the example's deadline (20 Nov) has passed

    outcome = open_escalation(_unpinned(desk), read_case_file(case), EM)

    assert outcome.as_of is AsOf.CASE_FILE
    assert outcome.planned.plan.status.value == "ready", "as of its own now, the example has slots"
    (plan,) = [e for e in desk.audit(GLOBEX_ID) if e.kind == "plan"]
    assert plan.payload["as_of"] == CASE_NOW


def test_now_given_on_the_command_line_wins_over_the_case_file(desk: Desk) -> None:
    desk.clock.set(u(2026, 11, 13, 15))

    outcome = open_escalation(desk.deps, read_case_file(desk.copy(GLOBEX)), EM)

    assert outcome.as_of is AsOf.OPTION
    (plan,) = [e for e in desk.audit(GLOBEX_ID) if e.kind == "plan"]
    assert plan.payload["as_of"] == "2026-11-13T15:00:00Z"


def test_a_re_plan_follows_the_stored_documents_now_too(desk: Desk) -> None:
    desk.open(GLOBEX)
    desk.clock.set(u(2026, 12, 4, 19))

    outcome = plan_escalation(_unpinned(desk), GLOBEX_ID, EM)

    assert outcome.as_of is AsOf.CASE_FILE
    assert outcome.planned.plan.status.value == "ready"


def test_without_now_anywhere_the_clock_is_used_and_no_as_of_is_recorded(desk: Desk) -> None:
    case = desk.copy(GLOBEX)
    body = yaml.safe_load(case.read_text())
    del body["now"]
    case.write_text(yaml.safe_dump(body, sort_keys=False))
    desk.clock.set(datetime.now(UTC))  # the unpinned clock is the wall clock

    outcome = open_escalation(_unpinned(desk), read_case_file(case), EM)

    assert outcome.as_of is AsOf.CLOCK
    (plan,) = [e for e in desk.audit(GLOBEX_ID) if e.kind == "plan"]
    assert "as_of" not in plan.payload
    assert outcome.planned.plan.status.value == "needs_exception", "today the example's deadline has passed"
