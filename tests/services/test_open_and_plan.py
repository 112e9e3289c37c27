"""Opening an escalation plans it at once: ready cases are planned, not-ready ones stay opened, and a case with
no compliant slot asks for an exception (or goes straight to support leadership when nothing is waivable)."""

from __future__ import annotations

import pytest

from readout.adapters.plan_json import parse_utc
from readout.domain.exception_requests import Decision, Route
from readout.domain.lifecycle import IllegalTransition, State
from readout.errors import PermissionDenied
from readout.services.escalations import plan_escalation
from readout.services.holding import hold_slots
from tests.services.flows import (
    EM,
    FREEZE,
    FREEZE_ID,
    FREEZE_NONE,
    GLOBEX,
    GLOBEX_ID,
    NOBODY,
    PSM,
    Desk,
    edit,
    u,
)

APPROVED = "customer_safe_rca_approved_at: 2026-11-11T16:40:00-06:00"
UNAPPROVED = "customer_safe_rca_approved_at: null"


def test_opening_a_ready_case_plans_it_and_audits_the_plan(desk: Desk) -> None:
    outcome = desk.open(GLOBEX)

    esc = desk.escalation(GLOBEX_ID)
    assert esc.state is State.PLANNED
    assert outcome.request is None
    assert esc.deadline == u(2026, 11, 20, 6)
    assert desk.kinds(GLOBEX_ID) == ["opened", "plan"]
    opened, plan = desk.audit(GLOBEX_ID)
    assert (opened.actor, opened.payload["customer"]) == (EM, "globex-financial")
    assert (plan.payload["from"], plan.payload["to"], plan.payload["status"]) == (
        "opened",
        "planned",
        "ready",
    )
    offered = [c["start"] for c in plan.payload["candidates_offered"]]
    assert offered[0] == "2026-11-17T18:00:00Z"
    stored = desk.plan(GLOBEX_ID)
    assert stored is not None
    assert offered == [c["start"] for c in stored["candidates"]][:10]
    assert plan.payload["rejected_by_family"] == dict(outcome.planned.plan.violations)
    assert plan.payload["rejected_by_family"]["COVERAGE"] > 0


def test_opening_by_someone_who_is_not_a_coordinator_is_refused_and_stores_nothing(desk: Desk) -> None:
    with pytest.raises(PermissionDenied):
        desk.open(GLOBEX, user=NOBODY)
    with desk.deps.uow() as uow:
        assert uow.escalations.list() == []
    assert desk.audit(GLOBEX_ID) == []


def test_a_case_without_rca_approval_stays_opened_until_the_approval_arrives(desk: Desk) -> None:
    case = desk.copy(GLOBEX)
    edit(case, APPROVED, UNAPPROVED)

    desk.open(GLOBEX)

    esc = desk.escalation(GLOBEX_ID)
    assert esc.state is State.OPENED
    assert desk.kinds(GLOBEX_ID) == ["opened", "plan_not_ready"]
    assert desk.audit(GLOBEX_ID)[-1].payload["not_ready"] == ["RCA_NOT_APPROVED"]
    with pytest.raises(IllegalTransition):
        hold_slots(desk.deps, GLOBEX_ID, EM)
    assert desk.holds(GLOBEX_ID) == []

    edit(case, UNAPPROVED, APPROVED)
    assert plan_escalation(desk.deps, GLOBEX_ID, PSM).escalation.state is State.OPENED  # not stored yet
    outcome = desk.update(GLOBEX_ID, GLOBEX, user=PSM)

    assert outcome.escalation.state is State.PLANNED
    assert outcome.new_version
    assert outcome.escalation.case_version == 2
    assert desk.escalation(GLOBEX_ID).state is State.PLANNED
    assert desk.kinds(GLOBEX_ID)[-2:] == ["case_changed", "plan"]
    changed, last = desk.audit(GLOBEX_ID)[-2:]
    assert changed.payload["version"] == 2
    assert changed.payload["from"] != changed.payload["to"] == outcome.escalation.case_digest
    assert (last.actor, last.payload["from"], last.payload["reason"]) == (
        PSM,
        "opened",
        "case document updated",
    )


def test_a_case_with_an_unassigned_role_stays_opened(desk: Desk) -> None:
    edit(desk.copy(GLOBEX), "fix_owner: ravi", "fix_owner: null")
    desk.open(GLOBEX)
    assert desk.escalation(GLOBEX_ID).state is State.OPENED
    assert desk.audit(GLOBEX_ID)[-1].payload["not_ready"] == ["ROLE_UNASSIGNED:fix_owner"]


def test_a_case_with_near_misses_requests_an_exception_with_causes_options_and_deadline(desk: Desk) -> None:
    outcome = desk.open(FREEZE)

    esc = desk.escalation(FREEZE_ID)
    assert esc.state is State.EXCEPTION_REQUESTED
    (request,) = desk.requests(FREEZE_ID)
    assert request == outcome.request
    assert request.route is Route.WAIVER_APPROVERS
    assert request.decision is Decision.OPEN
    assert set(request.causes) == {"COVERAGE", "CAB_BLACKOUT"}
    assert request.deadline == esc.deadline == u(2026, 11, 30, 23)
    assert request.options, "the best near misses are offered"
    assert request.options[0].slot.start == u(2026, 11, 24, 11)
    assert all(o.waivers == ("COVERAGE",) for o in request.options)
    assert desk.kinds(FREEZE_ID) == ["opened", "plan", "request_exception"]
    entry = desk.audit(FREEZE_ID)[-1]
    assert entry.payload["to"] == "exception_requested"
    assert entry.payload["causes"] == list(request.causes)
    assert entry.payload["deadline"] == "2026-11-30T23:00:00Z"
    assert [o["start"] for o in entry.payload["options"]] == [
        f"{o.slot.start:%Y-%m-%dT%H:%M:%SZ}" for o in request.options
    ]


def test_a_case_with_no_near_miss_goes_straight_to_support_leadership(desk: Desk) -> None:
    outcome = desk.open(FREEZE_NONE)

    assert desk.escalation(FREEZE_ID).state is State.ESCALATED
    assert outcome.request is not None
    assert outcome.request.route is Route.SUPPORT_LEADERSHIP
    assert outcome.request.options == ()
    assert desk.kinds(FREEZE_ID) == ["opened", "plan", "escalate"]
    assert desk.audit(FREEZE_ID)[-1].payload["route"] == "support_leadership"


def test_replanning_a_needs_exception_case_supersedes_the_open_request(desk: Desk) -> None:
    desk.open(FREEZE)
    plan_escalation(desk.deps, FREEZE_ID, EM, "inputs changed")

    first, second = desk.requests(FREEZE_ID)
    assert first.decision is Decision.SUPERSEDED
    assert second.decision is Decision.OPEN
    assert desk.escalation(FREEZE_ID).state is State.EXCEPTION_REQUESTED
    assert "exception_superseded" in desk.kinds(FREEZE_ID)


def test_opening_an_open_escalation_again_with_the_same_file_stores_no_new_version(desk: Desk) -> None:
    first = desk.open(GLOBEX)
    again = desk.open(GLOBEX, user=PSM)

    assert again.new_version is False
    assert again.escalation.case_version == 1
    assert again.escalation.case_digest == first.escalation.case_digest
    with desk.deps.uow() as uow:
        assert [v.version for v in uow.cases.of(GLOBEX_ID)] == [1]
    assert "case_changed" not in desk.kinds(GLOBEX_ID)


def test_opening_an_open_escalation_with_a_changed_file_stores_version_2(desk: Desk) -> None:
    desk.open(GLOBEX)
    edit(desk.copy(GLOBEX), "duration_minutes: 60", "duration_minutes: 45")

    again = desk.open(GLOBEX, user=PSM)

    assert again.new_version is True
    with desk.deps.uow() as uow:
        versions = uow.cases.of(GLOBEX_ID)
    assert [(v.version, v.imported_by) for v in versions] == [(1, EM), (2, PSM)]
    assert versions[1].document.body["escalation"]["readout"]["duration_minutes"] == 45
    plan = desk.plan(GLOBEX_ID)
    assert plan is not None
    minutes = {(parse_utc(c["end"]) - parse_utc(c["start"])).seconds // 60 for c in plan["candidates"]}
    assert minutes == {45}


def test_after_open_the_case_file_can_go_because_the_store_is_the_record(desk: Desk) -> None:
    opened = desk.open(GLOBEX).escalation
    desk.copy(GLOBEX).unlink()

    outcome = plan_escalation(desk.deps, GLOBEX_ID, PSM)
    hold_slots(desk.deps, GLOBEX_ID, EM)

    assert outcome.escalation.case_digest == opened.case_digest
    assert desk.escalation(GLOBEX_ID).state is State.HELD
    assert len(desk.live_holds(GLOBEX_ID)) == 3


def test_the_internal_summary_is_not_part_of_the_stored_record(desk: Desk) -> None:
    desk.open(GLOBEX)
    with desk.deps.uow() as uow:
        (stored,) = uow.cases.of(GLOBEX_ID)
    assert "summary" not in stored.document.body["escalation"]
    assert "SSO token validation" not in stored.document.text
