"""Issue 11, point 8: decisions that mean something. Support leadership's approval names what it approves (a
slot with its waivers, possibly one the customer asked for, or a replacement role holder, never automatic);
nobody decides their own request; refused attempts are recorded with the actor and the reason."""

from __future__ import annotations

import pytest

from readout.domain.exception_requests import Decision, Route
from readout.domain.lifecycle import State
from readout.domain.users import Role, User
from readout.errors import NotFound, PermissionDenied, Refused
from readout.services.confirmation import confirm, review
from readout.services.exceptions import approve, reject, request_exception
from readout.services.holding import hold_slots
from tests.services.flows import (
    DUTY,
    EM,
    FREEZE,
    FREEZE_ID,
    GLOBEX,
    GLOBEX_ID,
    LEAD,
    NOBODY,
    PSM,
    Desk,
    u,
)
from tests.services.refused import only_the_refusal_recorded

WAIVED = u(2026, 11, 24, 11)  # the freeze example's first near miss: breaks COVERAGE only
EM_AND_LEAD = User(
    "eli", "Eli Both", "eli@provider.example", frozenset({Role.ESCALATION_MANAGER, Role.SUPPORT_LEADERSHIP})
)


@pytest.fixture
def desk(desk: Desk) -> Desk:
    with desk.deps.uow() as uow:
        uow.users.put(EM_AND_LEAD)
        uow.commit()
    return desk


@pytest.fixture
def replacement_asked(desk: Desk) -> Desk:
    desk.open(GLOBEX)
    request_exception(desk.deps, GLOBEX_ID, EM, "replace the fix owner: Ravi is on leave from 16 November")
    return desk


def _stored_roles(desk: Desk) -> dict[str, str | None]:
    with desk.deps.uow() as uow:
        stored = uow.cases.latest(GLOBEX_ID)
    assert stored is not None
    return dict(stored.document.body["roles"])


# --- a replacement role holder ------------------------------------------------------------------------------


def test_leadership_approves_a_replacement_and_the_case_is_planned_with_it(replacement_asked: Desk) -> None:
    desk = replacement_asked
    before = desk.escalation(GLOBEX_ID)

    outcome = approve(
        desk.deps, GLOBEX_ID, LEAD, None, "Sam covers for Ravi", replacement=("fix_owner", "sam")
    )

    assert outcome.approves == "Sam Patel (sam) replaces Ravi Kumar as fix owner"
    assert (outcome.request.decision, outcome.request.decided_by) == (Decision.APPROVED, LEAD)
    esc = desk.escalation(GLOBEX_ID)
    assert esc.case_version == before.case_version + 1
    assert _stored_roles(desk)["fix_owner"] == "sam"
    kinds = desk.decided(GLOBEX_ID)
    assert kinds[-3:] == ["case_changed", "approve_exception", "plan"]
    changed, approved, planned = desk.decisions(GLOBEX_ID)[-3:]
    assert (changed.actor, changed.payload["because"]) == (
        LEAD,
        f"exception request #{outcome.request.id} approved by {LEAD}",
    )
    # the changed document keeps the origin of the version it changes (an API document keeps the API's rules)
    assert changed.payload["origin"] == str(desk.tmp / "globex-sso-outage" / "case.yaml")
    assert {k: approved.payload[k] for k in ("approves", "role", "person", "replaces")} == {
        "approves": "replacement",
        "role": "fix_owner",
        "person": "sam",
        "replaces": "ravi",
    }
    assert approved.actor == LEAD
    # Planned with the replacement at once, by Readout, saying why:
    assert outcome.plan is not None
    assert "sam replaces the fix owner" in planned.payload["reason"]
    assert esc.state is State.PLANNED
    hold_slots(desk.deps, GLOBEX_ID, EM)
    start = desk.live_holds(GLOBEX_ID)[0].slot.start
    packet = review(desk.deps, GLOBEX_ID, EM, start).packet
    fix_owner = next(a for a in packet.attendees if a.role == "fix_owner")
    assert fix_owner.name == "Sam Patel"


def test_a_replacement_must_be_one_of_the_case_s_people(replacement_asked: Desk) -> None:
    desk = replacement_asked
    before = desk.snapshot(GLOBEX_ID)

    with pytest.raises(Refused, match=r"'priya' is not in the case's people \(dana, luis, mei, ravi, sam\)"):
        approve(desk.deps, GLOBEX_ID, LEAD, None, "Priya covers", replacement=("fix_owner", "priya"))

    entry = only_the_refusal_recorded(desk, GLOBEX_ID, before, "approve", LEAD)
    assert "priya" in entry.payload["reason"]
    assert _stored_roles(desk)["fix_owner"] == "ravi"  # nothing substituted


@pytest.mark.parametrize("user", [DUTY, PSM, EM, NOBODY])
def test_only_support_leadership_approves_a_replacement(replacement_asked: Desk, user: str) -> None:
    desk = replacement_asked
    before = desk.snapshot(GLOBEX_ID)

    with pytest.raises(PermissionDenied):
        approve(desk.deps, GLOBEX_ID, user, None, "ok", replacement=("fix_owner", "sam"))

    entry = only_the_refusal_recorded(desk, GLOBEX_ID, before, "approve", user)
    assert entry.payload["grounds"] == "permission"


def test_leadership_approving_its_own_replacement_request_is_refused_and_recorded(desk: Desk) -> None:
    desk.open(GLOBEX)
    request_exception(desk.deps, GLOBEX_ID, EM_AND_LEAD.id, "replace the fix owner: on leave")
    before = desk.snapshot(GLOBEX_ID)

    with pytest.raises(PermissionDenied, match="raised for them"):
        approve(desk.deps, GLOBEX_ID, EM_AND_LEAD.id, None, "mine", replacement=("fix_owner", "sam"))

    entry = only_the_refusal_recorded(desk, GLOBEX_ID, before, "approve", EM_AND_LEAD.id)
    assert "raised for them" in entry.payload["reason"]
    assert _stored_roles(desk)["fix_owner"] == "ravi"


def test_a_leadership_approval_that_names_nothing_is_refused(replacement_asked: Desk) -> None:
    with pytest.raises(Refused, match="name what you approve"):
        approve(replacement_asked.deps, GLOBEX_ID, LEAD, None, "approved")
    assert replacement_asked.escalation(GLOBEX_ID).state is State.EXCEPTION_REQUESTED


# --- a slot, after the waiver approvers said no -------------------------------------------------------------


def test_after_a_rejected_waiver_leadership_approves_a_slot_the_customer_asked_for(desk: Desk) -> None:
    desk.open(FREEZE)
    reject(desk.deps, FREEZE_ID, DUTY, "no coverage staff that early")
    assert desk.escalation(FREEZE_ID).state is State.ESCALATED

    outcome = approve(
        desk.deps, FREEZE_ID, LEAD, WAIVED, "the customer asked for this slot", customer_asked=True
    )

    assert outcome.approves == "the slot 2026-11-24T11:00:00Z with COVERAGE (the customer asked for it)"
    assert outcome.request.route is Route.SUPPORT_LEADERSHIP
    assert desk.escalation(FREEZE_ID).state is State.EXCEPTION_APPROVED
    assert [(w.slot.start, w.family, w.approved_by) for w in desk.waivers(FREEZE_ID)] == [
        (WAIVED, "COVERAGE", LEAD)
    ]
    approved = desk.decisions(FREEZE_ID)[-1]
    assert (approved.kind, approved.payload["approves"], approved.payload["customer_asked"]) == (
        "approve_exception",
        "slot",
        True,
    )
    # ... and the slot is held, reviewed and confirmed like any other.
    hold_slots(desk.deps, FREEZE_ID, EM)
    seen = review(desk.deps, FREEZE_ID, EM, WAIVED)
    assert confirm(desk.deps, FREEZE_ID, EM, seen.packet.digest).confirmed


def test_leadership_may_approve_only_a_slot_the_request_offers(desk: Desk) -> None:
    desk.open(FREEZE)
    reject(desk.deps, FREEZE_ID, DUTY, "no")

    with pytest.raises(NotFound, match="offers no slot starting 2026-11-30T11:00:00Z"):
        approve(desk.deps, FREEZE_ID, LEAD, u(2026, 11, 30, 11), "that one")
    assert desk.waivers(FREEZE_ID) == []


# --- refused attempts leave a trace -------------------------------------------------------------------------


def test_a_too_short_and_a_stale_packet_digest_are_refused_and_recorded(desk: Desk) -> None:
    desk.open(GLOBEX)
    hold_slots(desk.deps, GLOBEX_ID, EM)
    first, second = (h.slot.start for h in desk.live_holds(GLOBEX_ID)[:2])
    stale = review(desk.deps, GLOBEX_ID, EM, first).packet.digest
    review(desk.deps, GLOBEX_ID, EM, second)  # another slot reviewed since: the first packet is stale
    before = desk.snapshot(GLOBEX_ID)

    with pytest.raises(Refused, match="too short"):
        confirm(desk.deps, GLOBEX_ID, PSM, stale[:5])
    with pytest.raises(Refused, match="not the reviewed one"):
        confirm(desk.deps, GLOBEX_ID, PSM, stale[:12])

    only_the_refusal_recorded(desk, GLOBEX_ID, before, "confirm", PSM, ("confirm", PSM))
    short, old = desk.audit(GLOBEX_ID)[-2:]
    assert ("too short" in short.payload["reason"], "not the reviewed one" in old.payload["reason"]) == (
        True,
        True,
    )
    assert (short.payload["grounds"], old.payload["grounds"]) == ("rule", "rule")


def test_an_unknown_user_leaves_no_trace(desk: Desk) -> None:
    desk.open(FREEZE)
    before = desk.snapshot(FREEZE_ID)

    with pytest.raises(NotFound):
        approve(desk.deps, FREEZE_ID, "mallory", WAIVED, "let me")

    assert desk.snapshot(FREEZE_ID) == before
