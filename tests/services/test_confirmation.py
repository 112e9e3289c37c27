"""Human gates: review then confirm by a coordinator, on a live hold, after a fresh free/busy check; cancel."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from readout.adapters.memory.invites import MemoryInviteSender
from readout.domain.effects import EffectKind, EffectStatus
from readout.domain.holds import HoldStatus
from readout.domain.lifecycle import IllegalTransition, State
from readout.errors import NotFound, PermissionDenied, Refused
from readout.services.confirmation import cancel, confirm, review
from readout.services.escalations import plan_escalation
from readout.services.exceptions import reject
from readout.services.holding import hold_slots, reap
from readout.services.queries import escalation_status
from tests.services.flows import (
    DUTY,
    EM,
    ENG,
    FREEZE,
    FREEZE_ID,
    FREEZE_NONE,
    GLOBEX,
    GLOBEX_ID,
    LEAD,
    NOBODY,
    PSM,
    Desk,
    book,
    edit,
    u,
)
from tests.services.refused import only_the_refusal_recorded

BEST = u(2026, 11, 17, 18)  # the best slot; the other held ones are spread over other days (holding)


def reviewed_digest(desk: Desk) -> str:
    """The digest of the packet shown at review, as the confirming person would copy it."""
    digest = escalation_status(desk.deps, GLOBEX_ID).escalation.packet_digest
    assert digest is not None
    return digest[:12]


@pytest.fixture
def held(desk: Desk) -> Desk:
    desk.open(GLOBEX)
    hold_slots(desk.deps, GLOBEX_ID, EM)
    return desk


@pytest.fixture
def reviewed(held: Desk) -> Desk:
    review(held.deps, GLOBEX_ID, EM, BEST)
    return held


@pytest.mark.parametrize("confirmer", [EM, PSM])
def test_a_coordinator_confirms_the_reviewed_slot_and_every_other_hold_is_released(
    held: Desk, confirmer: str
) -> None:
    seen = review(held.deps, GLOBEX_ID, EM, BEST)
    assert held.escalation(GLOBEX_ID).state is State.AWAITING_CONFIRMATION

    outcome = confirm(held.deps, GLOBEX_ID, confirmer, seen.packet.digest)

    assert (outcome.confirmed, outcome.reason) == (True, "confirmed")
    esc = held.escalation(GLOBEX_ID)
    assert (esc.state, esc.confirmed_by, esc.confirmed_at) == (State.CONFIRMED, confirmer, held.clock())
    by_start = {h.slot.start: h for h in held.holds(GLOBEX_ID)}
    others = [s for s in by_start if s != BEST]  # the other held slots (spread over the days, see holding)
    assert len(others) == 2
    assert by_start[BEST].status is HoldStatus.CONFIRMED
    assert {(by_start[s].status, by_start[s].end_reason) for s in others} == {
        (HoldStatus.RELEASED, "not chosen")
    }
    # The hold calendar keeps only the chosen slot (it becomes the readout); the others were removed.
    assert list(held.calendar.events) == [by_start[BEST].uid]
    assert sorted(held.calendar.released) == sorted(by_start[s].uid for s in others)
    last = held.decisions(GLOBEX_ID)[-1]
    assert (last.kind, last.actor) == ("confirm", confirmer)
    assert outcome.packet is not None
    assert last.payload["packet_digest"] == seen.packet.digest == outcome.packet.digest
    assert last.payload["start"] == "2026-11-17T18:00:00Z"
    assert held.decided(GLOBEX_ID)[-4:] == ["hold_confirmed", "hold_released", "hold_released", "confirm"]
    # ... and once the decision was committed, what it asked of the calendar and the relay was carried out
    assert held.kinds(GLOBEX_ID)[-4:] == [
        "readout_on_calendar",
        "invite_sent",
        "hold_off_calendar",
        "hold_off_calendar",
    ]


@pytest.mark.parametrize("user", [NOBODY, DUTY, ENG, LEAD])
def test_confirm_by_someone_without_a_coordinator_role_is_denied_and_changes_nothing(
    reviewed: Desk, user: str
) -> None:
    before = reviewed.snapshot(GLOBEX_ID)
    with pytest.raises(PermissionDenied):
        confirm(reviewed.deps, GLOBEX_ID, user, "00000000")
    only_the_refusal_recorded(reviewed, GLOBEX_ID, before, "confirm", user)


def test_the_automatic_system_user_cannot_confirm(reviewed: Desk) -> None:
    before = reviewed.snapshot(GLOBEX_ID)
    with pytest.raises(NotFound, match="no user 'readout'"):
        confirm(reviewed.deps, GLOBEX_ID, "readout", "00000000")
    assert reviewed.snapshot(GLOBEX_ID) == before


def test_confirm_without_review_is_refused_and_changes_nothing(held: Desk) -> None:
    before = held.snapshot(GLOBEX_ID)
    with pytest.raises(IllegalTransition):
        confirm(held.deps, GLOBEX_ID, EM, "00000000")
    only_the_refusal_recorded(held, GLOBEX_ID, before, "confirm", EM)


def test_review_of_a_slot_that_is_not_held_is_refused(held: Desk) -> None:
    live = {h.slot.start for h in held.live_holds(GLOBEX_ID)}
    fourth = next(e.slot.start for e in held.eligible(GLOBEX_ID) if e.slot.start not in live)  # compliant
    with pytest.raises(Refused, match="held live"):
        review(held.deps, GLOBEX_ID, EM, fourth)
    assert held.escalation(GLOBEX_ID).state is State.HELD


def test_confirm_of_a_packet_other_than_the_reviewed_one_is_refused(reviewed: Desk) -> None:
    before = reviewed.snapshot(GLOBEX_ID)
    with pytest.raises(Refused, match="not the reviewed one"):
        confirm(reviewed.deps, GLOBEX_ID, EM, "0" * 64)
    only_the_refusal_recorded(reviewed, GLOBEX_ID, before, "confirm", EM)


def test_confirm_after_the_hold_expired_is_refused(reviewed: Desk) -> None:
    reviewed.clock.advance(hours=24)  # the hold expired; the reaper has not run yet
    before = reviewed.snapshot(GLOBEX_ID)
    with pytest.raises(Refused, match="no longer live"):
        confirm(reviewed.deps, GLOBEX_ID, EM, reviewed_digest(reviewed))
    only_the_refusal_recorded(reviewed, GLOBEX_ID, before, "confirm", EM)
    assert all(h.status is not HoldStatus.CONFIRMED for h in reviewed.holds(GLOBEX_ID))


def test_confirm_after_the_slot_was_booked_elsewhere_goes_back_to_planning_with_the_reason(
    reviewed: Desk,
) -> None:
    # Mei (customer success director) accepts another meeting overlapping only the reviewed slot's last 15 min.
    mei = reviewed.copy(GLOBEX).parent / "calendars" / "mei.ics"
    book(mei, u(2026, 11, 17, 18, 45), u(2026, 11, 17, 19), "Board prep (booked after review)")

    outcome = confirm(reviewed.deps, GLOBEX_ID, EM, reviewed_digest(reviewed))

    assert outcome.confirmed is False
    assert "free/busy changed" in outcome.reason
    esc = reviewed.escalation(GLOBEX_ID)
    assert esc.state is State.PLANNED
    assert esc.confirmed_by is None
    assert all(h.status is not HoldStatus.CONFIRMED for h in reviewed.holds(GLOBEX_ID))
    assert BEST not in [h.slot.start for h in reviewed.live_holds(GLOBEX_ID)]
    assert BEST not in [e.slot.start for e in reviewed.eligible(GLOBEX_ID)]
    plans = [e for e in reviewed.audit(GLOBEX_ID) if e.kind == "plan"]
    assert plans[-1].payload["reason"] == f"confirmation refused: {outcome.reason}"
    assert plans[-1].payload["from"] == "awaiting_confirmation"
    assert "confirm" not in reviewed.kinds(GLOBEX_ID)


def test_an_edited_case_file_changes_nothing_until_it_is_stored_as_a_new_version(reviewed: Desk) -> None:
    # The customer incident manager's e-mail address changed in the file: the stored record is the truth,
    # so the reviewed packet still confirms as reviewed.
    edit(reviewed.copy(GLOBEX), "luis.garza@globex.example", "l.garza@globex.example")

    outcome = confirm(reviewed.deps, GLOBEX_ID, EM, reviewed_digest(reviewed))

    assert outcome.confirmed is True
    assert outcome.packet is not None
    assert "luis.garza@globex.example" in {a.email for a in outcome.packet.attendees}


def test_a_new_case_version_after_review_sends_the_readout_back_to_planning(reviewed: Desk) -> None:
    # Stored as a new version, the changed address re-plans at once: the reviewed packet cannot be confirmed.
    digest = reviewed_digest(reviewed)
    edit(reviewed.copy(GLOBEX), "luis.garza@globex.example", "l.garza@globex.example")
    updated = reviewed.update(GLOBEX_ID, GLOBEX)

    assert updated.new_version is True
    assert updated.escalation.state is State.PLANNED
    assert updated.escalation.packet_digest is None, "status no longer shows the stale review"
    assert updated.escalation.review_slot is None
    with pytest.raises(IllegalTransition):
        confirm(reviewed.deps, GLOBEX_ID, EM, digest)
    assert "confirm" not in reviewed.kinds(GLOBEX_ID)


def _planned(desk: Desk) -> None:
    desk.open(GLOBEX)


def _held(desk: Desk) -> None:
    desk.open(GLOBEX)
    hold_slots(desk.deps, GLOBEX_ID, EM)


def _awaiting(desk: Desk) -> None:
    _held(desk)
    review(desk.deps, GLOBEX_ID, EM, BEST)


def _not_ready(desk: Desk) -> None:
    edit(desk.copy(GLOBEX), "fix_owner: ravi", "fix_owner: null")
    desk.open(GLOBEX)


def _exception_requested(desk: Desk) -> None:
    desk.open(FREEZE)


def _escalated(desk: Desk) -> None:
    desk.open(FREEZE)
    reject(desk.deps, FREEZE_ID, DUTY, "the freeze is the customer's; ask leadership")


def _escalated_at_once(desk: Desk) -> None:
    desk.open(FREEZE_NONE)


def _held_then_replanned(desk: Desk) -> None:
    _held(desk)
    plan_escalation(desk.deps, GLOBEX_ID, EM)


SETUPS: dict[str, tuple[Callable[[Desk], None], str, State, int]] = {
    "opened": (_not_ready, GLOBEX_ID, State.OPENED, 0),
    "planned": (_planned, GLOBEX_ID, State.PLANNED, 0),
    "held": (_held, GLOBEX_ID, State.HELD, 3),
    "awaiting_confirmation": (_awaiting, GLOBEX_ID, State.AWAITING_CONFIRMATION, 3),
    "planned_with_live_holds": (_held_then_replanned, GLOBEX_ID, State.PLANNED, 3),
    "exception_requested": (_exception_requested, FREEZE_ID, State.EXCEPTION_REQUESTED, 0),
    "escalated_after_rejection": (_escalated, FREEZE_ID, State.ESCALATED, 0),
    "escalated_at_once": (_escalated_at_once, FREEZE_ID, State.ESCALATED, 0),
}


@pytest.mark.parametrize("setup", SETUPS)
def test_cancel_before_confirmation_releases_every_live_hold(desk: Desk, setup: str) -> None:
    prepare, escalation_id, state, live = SETUPS[setup]
    prepare(desk)
    assert desk.escalation(escalation_id).state is state
    assert len(desk.live_holds(escalation_id)) == len(desk.calendar.events) == live

    cancel(desk.deps, escalation_id, LEAD, "customer withdrew the request")

    esc = desk.escalation(escalation_id)
    assert esc.state is State.CANCELLED
    assert desk.live_holds(escalation_id) == []
    assert desk.calendar.events == {}
    assert [h.end_reason for h in desk.holds(escalation_id)] == ["escalation cancelled"] * live
    assert desk.kinds(escalation_id).count("hold_released") == live
    last = desk.decisions(escalation_id)[-1]
    assert (last.kind, last.payload["from"], last.payload["reason"]) == (
        "cancel",
        state.value,
        "customer withdrew the request",
    )
    with pytest.raises(IllegalTransition):
        cancel(desk.deps, escalation_id, LEAD, "again")
    with pytest.raises(Refused):
        plan_escalation(desk.deps, escalation_id, EM)


def test_nothing_is_sent_before_a_human_confirmed(reviewed: Desk, invites: MemoryInviteSender) -> None:
    assert invites.sent == []  # opened, planned, held and reviewed: still nothing sent
    confirm(reviewed.deps, GLOBEX_ID, EM, reviewed_digest(reviewed))
    [request] = invites.sent
    assert (request.method, request.sequence) == ("REQUEST", 0)
    assert request.packet.start_utc == "2026-11-17T18:00:00Z"
    assert {a.role for a in request.packet.attendees} >= {"fix_owner", "interpreter"}
    assert (request.organizer_name, request.organizer_email) == ("Dana Ortiz", "dana.ortiz@provider.example")


def test_a_failed_delivery_keeps_the_confirmation_and_retries_the_invitation_once(
    reviewed: Desk, invites: MemoryInviteSender
) -> None:
    invites.fail_with = Refused("relay refused the message")

    outcome = confirm(reviewed.deps, GLOBEX_ID, EM, reviewed_digest(reviewed))

    assert outcome.confirmed
    assert reviewed.escalation(GLOBEX_ID).state is State.CONFIRMED
    [invitation] = [e for e in outcome.effects if e.kind is EffectKind.SEND_INVITATION]
    assert (invitation.status, invitation.last_error) == (EffectStatus.PENDING, "relay refused the message")
    assert invites.sent == []
    assert "invite_sent" not in reviewed.kinds(GLOBEX_ID)
    reap(reviewed.deps)  # before the backoff: not yet
    assert invites.sent == []
    reviewed.clock.advance(minutes=1)
    reap(reviewed.deps)
    reap(reviewed.deps)
    assert [i.method for i in invites.sent] == ["REQUEST"]
    assert reviewed.kinds(GLOBEX_ID).count("invite_sent") == 1


def test_cancelling_a_confirmed_readout_withdraws_it_with_an_imip_cancel(
    reviewed: Desk, invites: MemoryInviteSender
) -> None:
    confirm(reviewed.deps, GLOBEX_ID, EM, reviewed_digest(reviewed))
    cancel(reviewed.deps, GLOBEX_ID, PSM, "customer postponed the readout")
    request, cancellation = invites.sent
    assert (cancellation.method, cancellation.uid) == ("CANCEL", request.uid)
    assert cancellation.sequence > request.sequence
    assert reviewed.escalation(GLOBEX_ID).state is State.CANCELLED
    assert reviewed.decided(GLOBEX_ID)[-2:] == ["hold_released", "cancel"]
    assert reviewed.kinds(GLOBEX_ID).count("invite_sent") == 2  # the request, then the cancellation


def test_cancel_by_someone_without_a_role_is_denied(held: Desk) -> None:
    before = held.snapshot(GLOBEX_ID)
    with pytest.raises(PermissionDenied):
        cancel(held.deps, GLOBEX_ID, NOBODY, "no")
    assert held.snapshot(GLOBEX_ID) == before
