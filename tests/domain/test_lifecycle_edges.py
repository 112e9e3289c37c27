"""The transition table is exactly the lifecycle docs/workflow.md describes, edge for edge.

The edges below are written out by hand from the "States" table of docs/workflow.md, not derived from the code,
so that an edge added to (or dropped from) ``TRANSITIONS`` fails here until the docs say so too. "plan" in a
row of that table is a re-plan, which (see the note under the table) ends in planned, or in opened when the case
is not ready; both are listed for every open state.

A confirmed readout can only be cancelled (withdrawn with an iMIP CANCEL); cancelled is the one final state.
"""

from __future__ import annotations

import pytest

from readout.domain.lifecycle import TRANSITIONS, Action, State

S, A = State, Action


def _replan_and_cancel() -> set[tuple[Action, State]]:
    """What every open state allows besides its own row: plan (ready or not) and cancel."""
    return {(A.PLAN, S.PLANNED), (A.PLAN_NOT_READY, S.OPENED), (A.CANCEL, S.CANCELLED)}


# docs/workflow.md, "States": state -> {(action, next state)}.
DOCUMENTED: dict[State, set[tuple[Action, State]]] = {
    # opened | plan -> planned; plan (not ready) -> opened; cancel
    S.OPENED: {(A.PLAN, S.PLANNED), (A.PLAN_NOT_READY, S.OPENED), (A.CANCEL, S.CANCELLED)},
    # planned | hold -> held; review a slot still held -> awaiting_confirmation; request exception ->
    # exception_requested; escalate -> escalated; plan; cancel
    S.PLANNED: {
        (A.HOLD, S.HELD),
        (A.REVIEW, S.AWAITING_CONFIRMATION),
        (A.REQUEST_EXCEPTION, S.EXCEPTION_REQUESTED),
        (A.ESCALATE, S.ESCALATED),
        *_replan_and_cancel(),
    },
    # held | review -> awaiting_confirmation; hold (top up); holds lost -> planned; request exception; plan;
    # cancel
    S.HELD: {
        (A.REVIEW, S.AWAITING_CONFIRMATION),
        (A.HOLD, S.HELD),
        (A.HOLDS_LOST, S.PLANNED),
        (A.REQUEST_EXCEPTION, S.EXCEPTION_REQUESTED),
        *_replan_and_cancel(),
    },
    # awaiting_confirmation | confirm -> confirmed; review another slot; holds lost -> planned;
    # request exception; plan; cancel
    S.AWAITING_CONFIRMATION: {
        (A.CONFIRM, S.CONFIRMED),
        (A.REVIEW, S.AWAITING_CONFIRMATION),
        (A.HOLDS_LOST, S.PLANNED),
        (A.REQUEST_EXCEPTION, S.EXCEPTION_REQUESTED),
        *_replan_and_cancel(),
    },
    # exception_requested | approve -> exception_approved; reject -> exception_rejected; escalate; plan; cancel
    S.EXCEPTION_REQUESTED: {
        (A.APPROVE_EXCEPTION, S.EXCEPTION_APPROVED),
        (A.REJECT_EXCEPTION, S.EXCEPTION_REJECTED),
        (A.ESCALATE, S.ESCALATED),
        *_replan_and_cancel(),
    },
    # exception_approved | hold -> held; request exception; plan; cancel
    S.EXCEPTION_APPROVED: {
        (A.HOLD, S.HELD),
        (A.REQUEST_EXCEPTION, S.EXCEPTION_REQUESTED),
        *_replan_and_cancel(),
    },
    # exception_rejected | escalate -> escalated; plan; cancel
    S.EXCEPTION_REJECTED: {(A.ESCALATE, S.ESCALATED), *_replan_and_cancel()},
    # escalated | leadership approves -> exception_approved or rejects -> exception_rejected; plan; cancel
    S.ESCALATED: {
        (A.APPROVE_EXCEPTION, S.EXCEPTION_APPROVED),
        (A.REJECT_EXCEPTION, S.EXCEPTION_REJECTED),
        *_replan_and_cancel(),
    },
    # confirmed | cancel -> cancelled (the attendees get an iMIP CANCEL when the invitation went out)
    S.CONFIRMED: {(A.CANCEL, S.CANCELLED)},
    # cancelled | nothing (final)
    S.CANCELLED: set(),
}

EDGES: dict[tuple[State, Action], State] = {
    (state, action): target for state in State for action, target in DOCUMENTED[state]
}


def test_the_documented_edges_name_every_state() -> None:
    assert set(DOCUMENTED) == set(State)


def test_the_transition_table_is_exactly_the_documented_edge_list() -> None:
    assert TRANSITIONS == EDGES
    assert len(EDGES) == 8 * 3 + 20 + 1  # open states x (plan, plan not ready, cancel), the rest, withdrawal


@pytest.mark.parametrize("state", list(State), ids=[s.value for s in State])
def test_each_state_allows_exactly_its_documented_actions(state: State) -> None:
    allowed = {(a, t) for (s, a), t in TRANSITIONS.items() if s is state}
    assert allowed == DOCUMENTED[state]


def test_an_escalated_readout_cannot_request_another_exception() -> None:
    # Leadership already holds the decision: a coordinator's request would go nowhere new.
    assert (S.ESCALATED, A.REQUEST_EXCEPTION) not in TRANSITIONS
    assert (A.REQUEST_EXCEPTION, S.EXCEPTION_REQUESTED) not in DOCUMENTED[S.ESCALATED]


def test_a_confirmed_readout_can_only_be_cancelled_and_cancelled_is_final() -> None:
    assert {a for (s, a) in TRANSITIONS if s is S.CONFIRMED} == {A.CANCEL}
    assert not [a for (s, a) in TRANSITIONS if s is S.CANCELLED]
