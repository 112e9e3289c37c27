"""Exception requests: named approvers waive one family for one slot; rejections and role changes go to
support leadership."""

from __future__ import annotations

import pytest

from readout.domain.exception_requests import Decision, Route
from readout.domain.holds import HoldStatus
from readout.domain.lifecycle import State
from readout.errors import NotFound, PermissionDenied, Refused
from readout.services.confirmation import confirm, review
from readout.services.escalations import plan_escalation
from readout.services.exceptions import approve, reject, request_exception
from readout.services.holding import hold_slots
from tests.services.flows import (
    DUTY,
    EM,
    ENG,
    FREEZE,
    FREEZE_BOTH,
    FREEZE_ID,
    FREEZE_NONE,
    GLOBEX,
    GLOBEX_ID,
    LEAD,
    NOBODY,
    PSM,
    Desk,
    u,
)
from tests.services.refused import only_the_refusal_recorded

WAIVED = u(2026, 11, 24, 11)  # first near miss of the freeze example: breaks COVERAGE only
OTHER = u(2026, 11, 25, 8)  # another coverage-only near miss


@pytest.fixture
def requested(desk: Desk) -> Desk:
    desk.open(FREEZE)
    return desk


@pytest.mark.parametrize("user", [ENG, PSM, EM, LEAD, NOBODY])
def test_only_the_duty_manager_may_waive_coverage(requested: Desk, user: str) -> None:
    before = requested.snapshot(FREEZE_ID)
    with pytest.raises(PermissionDenied):
        approve(requested.deps, FREEZE_ID, user, WAIVED, "fine by me")
    only_the_refusal_recorded(requested, FREEZE_ID, before, "approve", user)


def test_duty_manager_approval_waives_coverage_for_that_slot_only(requested: Desk) -> None:
    outcome = approve(requested.deps, FREEZE_ID, DUTY, WAIVED, "duty engineer stays on for the early call")

    assert outcome.still_needed == ()
    esc = requested.escalation(FREEZE_ID)
    assert esc.state is State.EXCEPTION_APPROVED
    (request,) = requested.requests(FREEZE_ID)
    assert (request.decision, request.decided_by, request.decided_at, request.decision_reason) == (
        Decision.APPROVED,
        DUTY,
        requested.clock(),
        "duty engineer stays on for the early call",
    )
    (waiver,) = requested.waivers(FREEZE_ID)
    assert (waiver.slot.start, waiver.family, waiver.approved_by, waiver.request_id) == (
        WAIVED,
        "COVERAGE",
        DUTY,
        request.id,
    )
    eligible = requested.eligible(FREEZE_ID)
    assert [(e.slot.start, e.waivers) for e in eligible] == [(WAIVED, ("COVERAGE",))]
    assert OTHER not in [e.slot.start for e in eligible]
    assert requested.kinds(FREEZE_ID)[-2:] == ["waiver_recorded", "approve_exception"]
    recorded = requested.audit(FREEZE_ID)[-2]
    assert (recorded.actor, recorded.payload["family"], recorded.payload["start"]) == (
        DUTY,
        "COVERAGE",
        "2026-11-24T11:00:00Z",
    )


def test_after_a_waiver_only_the_waived_slot_is_held_reviewed_and_confirmed(requested: Desk) -> None:
    approve(requested.deps, FREEZE_ID, DUTY, WAIVED, "approved")

    held = hold_slots(requested.deps, FREEZE_ID, EM)

    assert [h.slot.start for h in held.placed] == [WAIVED]  # holds.count is 3, but one slot is eligible
    assert requested.escalation(FREEZE_ID).state is State.HELD
    seen = review(requested.deps, FREEZE_ID, EM, WAIVED)
    assert [w.family for w in seen.waivers] == ["COVERAGE"]
    with pytest.raises(Refused):
        review(requested.deps, FREEZE_ID, EM, OTHER)

    outcome = confirm(requested.deps, FREEZE_ID, PSM, seen.packet.digest)

    assert outcome.confirmed, outcome.reason
    assert requested.escalation(FREEZE_ID).state is State.CONFIRMED
    assert [h.status for h in requested.holds(FREEZE_ID)] == [HoldStatus.CONFIRMED]
    assert requested.decisions(FREEZE_ID)[-1].payload["waivers"] == ["COVERAGE"]


def test_an_approved_waiver_survives_replanning_for_its_slot(requested: Desk) -> None:
    approve(requested.deps, FREEZE_ID, DUTY, WAIVED, "approved")

    outcome = plan_escalation(requested.deps, FREEZE_ID, EM, "calendars refreshed")

    assert outcome.request is None
    assert requested.escalation(FREEZE_ID).state is State.PLANNED
    assert [e.slot.start for e in requested.eligible(FREEZE_ID)] == [WAIVED]


def test_approving_a_slot_the_request_did_not_offer_is_refused(requested: Desk) -> None:
    with pytest.raises(NotFound):
        approve(requested.deps, FREEZE_ID, DUTY, u(2026, 11, 24, 9, 15), "off-grid")
    with pytest.raises(Refused):
        approve(requested.deps, FREEZE_ID, DUTY, None, "which one?")
    assert requested.waivers(FREEZE_ID) == []
    assert requested.escalation(FREEZE_ID).state is State.EXCEPTION_REQUESTED


@pytest.mark.parametrize(
    ("first", "second", "missing_after_first"),
    [
        (DUTY, ENG, "HANDOFF_WINDOW"),
        (DUTY, PSM, "HANDOFF_WINDOW"),
        (ENG, DUTY, "COVERAGE"),
        (PSM, DUTY, "COVERAGE"),
    ],
)
def test_a_near_miss_breaking_coverage_and_a_handoff_needs_both_approvers(
    desk: Desk, first: str, second: str, missing_after_first: str
) -> None:
    request = desk.open(FREEZE_BOTH).request
    assert request is not None
    assert {o.waivers for o in request.options} == {("COVERAGE", "HANDOFF_WINDOW")}
    option = request.options[0]

    after_first = approve(desk.deps, FREEZE_ID, first, option.slot.start, "first approval")

    assert after_first.still_needed == (missing_after_first,)
    assert desk.requests(FREEZE_ID)[0].decision is Decision.OPEN
    assert desk.escalation(FREEZE_ID).state is State.EXCEPTION_REQUESTED
    assert desk.eligible(FREEZE_ID) == []
    with pytest.raises(PermissionDenied):
        approve(desk.deps, FREEZE_ID, first, option.slot.start, "again")

    after_second = approve(desk.deps, FREEZE_ID, second, option.slot.start, "second approval")

    assert after_second.still_needed == ()
    assert desk.escalation(FREEZE_ID).state is State.EXCEPTION_APPROVED
    assert {(w.family, w.approved_by) for w in desk.waivers(FREEZE_ID)} == {
        ("COVERAGE", first if missing_after_first == "HANDOFF_WINDOW" else second),
        ("HANDOFF_WINDOW", second if missing_after_first == "HANDOFF_WINDOW" else first),
    }
    assert [e.slot for e in desk.eligible(FREEZE_ID)] == [option.slot]


def test_rejection_records_the_decision_and_escalates_to_support_leadership(requested: Desk) -> None:
    outcome = reject(requested.deps, FREEZE_ID, DUTY, "no coverage staff that early")

    assert requested.escalation(FREEZE_ID).state is State.ESCALATED
    request, to_leadership = requested.requests(FREEZE_ID)
    assert request == outcome.request
    # ... and leadership has an open request to decide: the same options, raised for the same person
    assert (to_leadership.route, to_leadership.decision) == (Route.SUPPORT_LEADERSHIP, Decision.OPEN)
    assert (to_leadership.options, to_leadership.requested_by) == (request.options, EM)
    assert (request.decision, request.decided_by, request.decided_at, request.decision_reason) == (
        Decision.REJECTED,
        DUTY,
        requested.clock(),
        "no coverage staff that early",
    )
    rejected, escalated = requested.audit(FREEZE_ID)[-2:]
    assert (rejected.kind, rejected.actor, rejected.payload["to"]) == (
        "reject_exception",
        DUTY,
        "exception_rejected",
    )
    assert (escalated.kind, escalated.payload["from"]) == ("escalate", "exception_rejected")
    assert requested.waivers(FREEZE_ID) == []
    with pytest.raises(Refused):
        hold_slots(requested.deps, FREEZE_ID, EM)


def test_the_audit_entry_of_the_escalation_after_a_rejection_names_the_state_it_moved_to(
    requested: Desk,
) -> None:
    reject(requested.deps, FREEZE_ID, DUTY, "no coverage staff that early")

    escalated = requested.audit(FREEZE_ID)[-1]
    assert escalated.payload["to"] == requested.escalation(FREEZE_ID).state.value == "escalated"


def test_rejection_by_someone_who_decides_nothing_here_is_denied(requested: Desk) -> None:
    before = requested.snapshot(FREEZE_ID)
    with pytest.raises(PermissionDenied):
        reject(requested.deps, FREEZE_ID, NOBODY, "no")
    only_the_refusal_recorded(requested, FREEZE_ID, before, "reject", NOBODY)


@pytest.mark.parametrize("hold_first", [False, True], ids=["planned", "held"])
def test_replacing_a_role_holder_is_an_exception_request_that_only_support_leadership_decides(
    desk: Desk, hold_first: bool
) -> None:
    desk.open(GLOBEX)
    if hold_first:
        hold_slots(desk.deps, GLOBEX_ID, EM)
    digest = desk.escalation(GLOBEX_ID).case_digest
    reason = "replace the fix owner: Ravi is on leave from 16 November"

    outcome = request_exception(desk.deps, GLOBEX_ID, EM, reason)

    assert outcome.request.route is Route.SUPPORT_LEADERSHIP
    assert (outcome.request.reason, outcome.request.requested_by) == (reason, EM)
    assert outcome.request.deadline == u(2026, 11, 20, 6)
    esc = desk.escalation(GLOBEX_ID)
    assert esc.state is State.EXCEPTION_REQUESTED
    assert esc.case_digest == digest  # nothing was substituted automatically
    assert desk.audit(GLOBEX_ID)[-1].payload["reason"] == reason
    for user in (DUTY, ENG, PSM, EM, NOBODY):
        with pytest.raises(PermissionDenied):
            approve(desk.deps, GLOBEX_ID, user, None, "ok")
    assert desk.escalation(GLOBEX_ID).state is State.EXCEPTION_REQUESTED

    with pytest.raises(Refused, match="name what you approve"):  # an approval names what it approves
        approve(desk.deps, GLOBEX_ID, LEAD, None, "Sam replaces Ravi as fix owner")
    assert desk.escalation(GLOBEX_ID).case_digest == digest

    decided = approve(
        desk.deps, GLOBEX_ID, LEAD, None, "Sam replaces Ravi as fix owner", replacement=("fix_owner", "sam")
    )

    assert (decided.request.decision, decided.request.decided_by) == (Decision.APPROVED, LEAD)
    assert desk.waivers(GLOBEX_ID) == []  # a replacement waives no constraint family
    assert desk.escalation(GLOBEX_ID).case_digest != digest  # the approved replacement is the new version


def test_an_exception_request_needs_a_coordinator_and_a_reason(desk: Desk) -> None:
    desk.open(GLOBEX)
    with pytest.raises(PermissionDenied):
        request_exception(desk.deps, GLOBEX_ID, NOBODY, "replace the fix owner")
    with pytest.raises(Refused):
        request_exception(desk.deps, GLOBEX_ID, EM, "  ")
    assert desk.requests(GLOBEX_ID) == []
    assert desk.escalation(GLOBEX_ID).state is State.PLANNED


def test_support_leadership_can_decide_a_request_escalated_at_planning_time(desk: Desk) -> None:
    desk.open(FREEZE_NONE)

    reject(desk.deps, FREEZE_ID, LEAD, "no exception: ask the customer to lift the freeze for one hour")

    (request,) = desk.requests(FREEZE_ID)
    assert (request.decision, request.decided_by) == (Decision.REJECTED, LEAD)
