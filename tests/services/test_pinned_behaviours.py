"""Behaviours no other test held (found by mutation testing): the case's own hold policy, an escalated readout
refusing another exception request, the packet digest's minimum length, a not-ready re-plan of a held readout,
and when a viable slot was first found. Driven through the use cases, as the other workflow tests are."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from readout.domain.holds import HoldStatus
from readout.domain.lifecycle import IllegalTransition, State
from readout.errors import Refused
from readout.services.confirmation import confirm, review
from readout.services.exceptions import reject, request_exception
from readout.services.holding import hold_slots, reap
from tests.services.flows import (
    DUTY,
    EM,
    FREEZE,
    FREEZE_ID,
    FREEZE_NONE,
    GLOBEX,
    GLOBEX_ID,
    Desk,
    edit,
    u,
)
from tests.services.refused import only_the_refusal_recorded

BEST, SECOND = u(2026, 11, 17, 18), u(2026, 11, 17, 17, 45)  # globex, best first
THURSDAY = u(2026, 11, 19, 16, 30)  # the next best on another day: holds are spread across days
OPENED_AT = u(2026, 11, 12, 15)  # globex's ``now``: 2026-11-12T09:00-06:00
APPROVAL = "customer_safe_rca_approved_at: 2026-11-11T16:40:00-06:00"


def replan(desk: Desk, reason: str) -> None:
    """Store the (possibly edited) case file as the escalation's next version and plan again: the stored
    record is the truth, so an edit counts only once it is stored."""
    desk.update(GLOBEX_ID, GLOBEX)


# --- 1. policy.holds is read from the case -----------------------------------------------------------------


def test_the_case_s_hold_count_and_ttl_are_used_not_the_usual_three_and_a_day(desk: Desk) -> None:
    edit(desk.copy(GLOBEX), "holds: {count: 3, ttl_hours: 24}", "holds: {count: 2, ttl_hours: 6}")
    desk.open(GLOBEX)
    assert len(desk.eligible(GLOBEX_ID)) >= 3  # so that a count of 3 would place a third hold
    placed_at = desk.clock()

    outcome = hold_slots(desk.deps, GLOBEX_ID, EM)

    assert [h.slot.start for h in outcome.placed] == [BEST, THURSDAY]
    holds = desk.holds(GLOBEX_ID)
    assert [h.slot.start for h in holds] == [BEST, THURSDAY]
    assert [(h.status, h.placed_at, h.expires_at) for h in holds] == [
        (HoldStatus.LIVE, placed_at, placed_at + timedelta(hours=6))
    ] * 2
    assert sorted(desk.calendar.events) == sorted(h.uid for h in holds)
    assert [e.payload["expires_at"] for e in desk.audit(GLOBEX_ID) if e.kind == "hold_placed"] == [
        "2026-11-12T21:00:00Z"
    ] * 2
    # ... and they really end six hours on: not a minute before, exactly then (half-open).
    desk.clock.advance(hours=5, minutes=59)
    assert reap(desk.deps) == []
    desk.clock.advance(minutes=1)
    assert [h.slot.start for h in reap(desk.deps)] == [BEST, THURSDAY]
    assert desk.calendar.events == {}


# --- 2. an escalated readout refuses request_exception ----------------------------------------------------


def _escalated_at_once(desk: Desk) -> None:
    desk.open(FREEZE_NONE)


def _escalated_after_rejection(desk: Desk) -> None:
    desk.open(FREEZE)
    reject(desk.deps, FREEZE_ID, DUTY, "the freeze is the customer's; ask leadership")


ESCALATED: dict[str, Callable[[Desk], None]] = {
    "at_once": _escalated_at_once,
    "after_rejection": _escalated_after_rejection,
}


@pytest.mark.parametrize("setup", ESCALATED)
def test_request_exception_on_an_escalated_readout_is_refused_and_changes_nothing(
    desk: Desk, setup: str
) -> None:
    ESCALATED[setup](desk)
    assert desk.escalation(FREEZE_ID).state is State.ESCALATED
    before = desk.snapshot(FREEZE_ID)

    with pytest.raises(IllegalTransition, match="in state escalated"):
        request_exception(desk.deps, FREEZE_ID, EM, "replace the customer success director")

    assert desk.escalation(FREEZE_ID).state is State.ESCALATED
    assert desk.snapshot(FREEZE_ID) == before  # no new request stored, no audit entry


# --- 5. the packet digest must name at least 8 characters ---------------------------------------------------


@pytest.fixture
def reviewed(desk: Desk) -> Desk:
    desk.open(GLOBEX)
    hold_slots(desk.deps, GLOBEX_ID, EM)
    review(desk.deps, GLOBEX_ID, EM, BEST)
    return desk


def _digest(desk: Desk) -> str:
    digest = desk.escalation(GLOBEX_ID).packet_digest
    assert digest is not None
    assert len(digest) == 64  # a SHA-256: the full digest is long enough
    return digest


@pytest.mark.parametrize("length", [0, 3, 7])
def test_a_packet_digest_shorter_than_8_characters_is_refused(reviewed: Desk, length: int) -> None:
    given = _digest(reviewed)[:length]  # a true prefix of the reviewed digest: only its length is wrong
    before = reviewed.snapshot(GLOBEX_ID)

    with pytest.raises(Refused, match="too short: give at least 8 characters"):
        confirm(reviewed.deps, GLOBEX_ID, EM, given)

    assert reviewed.escalation(GLOBEX_ID).state is State.AWAITING_CONFIRMATION
    only_the_refusal_recorded(reviewed, GLOBEX_ID, before, "confirm", EM)


def test_a_packet_digest_of_exactly_8_characters_is_accepted(reviewed: Desk) -> None:
    outcome = confirm(reviewed.deps, GLOBEX_ID, EM, _digest(reviewed)[:8])

    assert (outcome.confirmed, outcome.reason) == (True, "confirmed")
    assert reviewed.escalation(GLOBEX_ID).state is State.CONFIRMED


# --- 6. a held readout that is no longer ready goes back to opened, holds released ---------------------------

NOT_READY = {
    # (text in the case file, its replacement, the reason the plan gives)
    "rca_approval_null": (APPROVAL, "customer_safe_rca_approved_at: null", "RCA_NOT_APPROVED"),
    "rca_approval_removed": (f"  {APPROVAL}\n", "", "RCA_NOT_APPROVED"),
    "fix_owner_unassigned": ("fix_owner: ravi", "fix_owner: null", "ROLE_UNASSIGNED:fix_owner"),
}


@pytest.mark.parametrize("change", NOT_READY)
def test_a_held_readout_that_is_no_longer_ready_goes_back_to_opened_without_a_live_hold(
    desk: Desk, change: str
) -> None:
    old, new, reason = NOT_READY[change]
    desk.open(GLOBEX)
    hold_slots(desk.deps, GLOBEX_ID, EM)
    assert desk.escalation(GLOBEX_ID).state is State.HELD
    uids = sorted(desk.calendar.events)
    assert len(uids) == 3
    edit(desk.copy(GLOBEX), old, new)

    replan(desk, "case changed")

    assert desk.escalation(GLOBEX_ID).state is State.OPENED
    # the ledger: nothing live, every hold released because its slot may no longer be held
    assert desk.live_holds(GLOBEX_ID) == []
    assert {(h.status, h.end_reason) for h in desk.holds(GLOBEX_ID)} == {
        (HoldStatus.RELEASED, "slot no longer compliant")
    }
    # the hold calendar: every hold taken off
    assert desk.calendar.events == {}
    assert sorted(desk.calendar.released) == uids
    [entry] = [e for e in desk.audit(GLOBEX_ID) if e.kind == "plan_not_ready"]
    assert (entry.payload["from"], entry.payload["to"], entry.payload["not_ready"]) == (
        "held",
        "opened",
        [reason],
    )
    assert desk.decided(GLOBEX_ID)[-3:] == ["hold_released"] * 3  # released after the plan, by Readout


# --- 7. first_viable_at is when a viable slot was first found ---------------------------------------------


def test_first_viable_at_stays_at_the_first_plan_that_found_slots(desk: Desk) -> None:
    desk.open(GLOBEX)
    assert desk.escalation(GLOBEX_ID).first_viable_at == OPENED_AT
    later = desk.clock.advance(hours=3)

    replan(desk, "calendars refreshed")

    esc = desk.escalation(GLOBEX_ID)
    assert esc.state is State.PLANNED
    assert desk.eligible(GLOBEX_ID), "the later plan found slots too"
    plans = [e for e in desk.audit(GLOBEX_ID) if e.kind == "plan"]
    as_of = [p.payload["as_of"] for p in plans]  # the clock was pinned: the entries say "as of" it
    assert as_of == [OPENED_AT.strftime("%Y-%m-%dT%H:%M:%SZ"), later.strftime("%Y-%m-%dT%H:%M:%SZ")]
    assert plans[0].at <= plans[1].at
    assert esc.first_viable_at == OPENED_AT
