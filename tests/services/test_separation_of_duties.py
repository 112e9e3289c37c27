"""Separation of duties (issue 9, item 8): the one an exception request was raised for does not decide it, and the
one who waived a constraint for a slot does not confirm that slot."""

from __future__ import annotations

import pytest

from readout.domain.exception_requests import Decision
from readout.domain.lifecycle import State
from readout.domain.users import Role, User
from readout.errors import PermissionDenied
from readout.services.confirmation import review
from readout.services.escalations import plan_escalation
from readout.services.exceptions import (
    approve,
    check_not_own_waiver,
    raised_for,
    reject,
    request_exception,
)
from readout.services.holding import hold_slots
from tests.services.flows import (
    DUTY,
    EM,
    ENG,
    FREEZE,
    FREEZE_BOTH,
    FREEZE_ID,
    GLOBEX,
    GLOBEX_ID,
    LEAD,
    PSM,
    Desk,
    u,
)
from tests.services.refused import only_the_refusal_recorded

WAIVED = u(2026, 11, 24, 11)  # the freeze example's first near miss: breaks COVERAGE only
# One person holding two roles: the combinations the rules are about.
PSM_AND_DUTY = User(
    "pat", "Pat Both", "pat@provider.example", frozenset({Role.PROGRAM_MANAGER, Role.DUTY_MANAGER})
)
EM_AND_LEAD = User(
    "eli", "Eli Both", "eli@provider.example", frozenset({Role.ESCALATION_MANAGER, Role.SUPPORT_LEADERSHIP})
)


@pytest.fixture
def desk(desk: Desk) -> Desk:
    with desk.deps.uow() as uow:
        uow.users.put(PSM_AND_DUTY)
        uow.users.put(EM_AND_LEAD)
        uow.commit()
    return desk


def test_issue_9_a_psm_who_opened_may_not_waive_the_handoff_of_the_request_raised_at_that_open(
    desk: Desk,
) -> None:
    request = desk.open(FREEZE_BOTH, user=PSM).request
    assert request is not None
    start = request.options[0].slot.start
    approve(desk.deps, FREEZE_ID, DUTY, start, "coverage: duty engineer stays on")
    before = desk.snapshot(FREEZE_ID)

    with pytest.raises(
        PermissionDenied, match="the one who requests an exception is not the one who waives it"
    ):
        approve(desk.deps, FREEZE_ID, PSM, start, "handoff: fine by me")
    with pytest.raises(PermissionDenied, match="raised for them"):
        reject(desk.deps, FREEZE_ID, PSM, "no")

    only_the_refusal_recorded(desk, FREEZE_ID, before, "approve", PSM, ("reject", PSM))
    outcome = approve(desk.deps, FREEZE_ID, ENG, start, "handoff: the fix owner's manager agrees")
    assert outcome.request.decision is Decision.APPROVED
    assert desk.escalation(FREEZE_ID).state is State.EXCEPTION_APPROVED
    assert {(w.family, w.approved_by) for w in desk.waivers(FREEZE_ID)} == {
        ("COVERAGE", DUTY),
        ("HANDOFF_WINDOW", ENG),
    }


def test_a_request_raised_at_a_re_plan_is_the_re_planners(desk: Desk) -> None:
    first = desk.open(FREEZE_BOTH, user=EM).request
    assert first is not None
    assert raised_for_request(desk, first.id) == EM

    again = plan_escalation(desk.deps, FREEZE_ID, PSM, "calendars refreshed").request

    assert again is not None
    assert raised_for_request(desk, again.id) == PSM
    with pytest.raises(PermissionDenied, match="raised for them"):
        approve(desk.deps, FREEZE_ID, PSM, again.options[0].slot.start, "mine")


def raised_for_request(desk: Desk, request_id: int) -> str:
    with desk.deps.uow() as uow:
        (request,) = [r for r in uow.exceptions.of(FREEZE_ID) if r.id == request_id]
        return raised_for(uow, request)


def test_whoever_requests_an_exception_by_hand_may_not_decide_it(desk: Desk) -> None:
    desk.open(GLOBEX)
    request_exception(desk.deps, GLOBEX_ID, EM_AND_LEAD.id, "replace the fix owner: on leave")
    before = desk.snapshot(GLOBEX_ID)

    with pytest.raises(PermissionDenied, match="raised for them"):
        approve(desk.deps, GLOBEX_ID, EM_AND_LEAD.id, None, "granted")
    with pytest.raises(PermissionDenied, match="raised for them"):
        reject(desk.deps, GLOBEX_ID, EM_AND_LEAD.id, "refused")

    only_the_refusal_recorded(desk, GLOBEX_ID, before, "approve", EM_AND_LEAD.id, ("reject", EM_AND_LEAD.id))
    decided = approve(desk.deps, GLOBEX_ID, LEAD, None, "granted", replacement=("fix_owner", "sam"))
    assert (decided.request.decision, decided.request.decided_by) == (Decision.APPROVED, LEAD)


def test_a_coverage_waiver_by_someone_who_did_not_open_stands(desk: Desk) -> None:
    desk.open(FREEZE, user=EM)

    outcome = approve(desk.deps, FREEZE_ID, PSM_AND_DUTY.id, WAIVED, "duty engineer stays on")

    assert outcome.request.decision is Decision.APPROVED


def test_whoever_waived_a_constraint_for_a_slot_may_not_confirm_it(desk: Desk) -> None:
    desk.open(FREEZE, user=EM)
    approve(desk.deps, FREEZE_ID, PSM_AND_DUTY.id, WAIVED, "duty engineer stays on")
    hold_slots(desk.deps, FREEZE_ID, PSM_AND_DUTY.id)
    seen = review(desk.deps, FREEZE_ID, PSM_AND_DUTY.id, WAIVED)
    esc = desk.escalation(FREEZE_ID)

    with desk.deps.uow() as uow:
        waiver_approver = uow.users.get(PSM_AND_DUTY.id)
        others = [uow.users.get(user) for user in (PSM, EM)]
        assert waiver_approver is not None
        with pytest.raises(PermissionDenied, match="they waived COVERAGE for it"):
            check_not_own_waiver(uow, esc, waiver_approver, seen.slot.slot)
        for other in others:
            assert other is not None
            check_not_own_waiver(uow, esc, other, seen.slot.slot)  # anyone else may


def test_a_slot_without_waivers_may_be_confirmed_by_whoever_may_confirm(desk: Desk) -> None:
    desk.open(GLOBEX)
    hold_slots(desk.deps, GLOBEX_ID, EM)
    slot, esc = desk.live_holds(GLOBEX_ID)[0].slot, desk.escalation(GLOBEX_ID)
    with desk.deps.uow() as uow:
        user = uow.users.get(EM)
        assert user is not None
        check_not_own_waiver(uow, esc, user, slot)
