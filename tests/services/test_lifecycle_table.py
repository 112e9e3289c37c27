"""The lifecycle is one transition table: every (state, action) pair either moves as the table says or is
refused without changing anything."""

from __future__ import annotations

import itertools

import pytest

from readout.domain.escalation import Escalation
from readout.domain.lifecycle import TRANSITIONS, Action, IllegalTransition, State
from readout.errors import Refused
from tests.services.flows import u

PAIRS = list(itertools.product(State, Action))
FINAL = (State.CONFIRMED, State.CANCELLED)
AT = u(2026, 11, 12, 15)


def escalation_in(state: State) -> Escalation:
    """An escalation with some history, now in ``state``."""
    esc = Escalation("ESC-1", "/cases/esc-1.yaml", "digest", "acme", AT)
    esc.record(AT, "dmitri", "opened", {"customer": "acme"})
    esc.state = state
    return esc


@pytest.mark.parametrize(("state", "action"), PAIRS, ids=[f"{s.value}-{a.value}" for s, a in PAIRS])
def test_every_state_action_pair_follows_the_table_or_changes_nothing(state: State, action: Action) -> None:
    esc = escalation_in(state)
    before = (esc.state, esc.audit_seq, esc.audit_head, list(esc.pending))
    if (state, action) in TRANSITIONS:
        after = esc.transition(action, AT, "dmitri", {"why": "test"})
        assert after is esc.state is TRANSITIONS[(state, action)]
        entry = esc.pending[-1]
        assert (entry.kind, entry.payload["from"], entry.payload["to"]) == (
            action.value,
            state.value,
            after.value,
        )
        assert esc.audit_seq == before[1] + 1
    else:
        with pytest.raises(IllegalTransition) as refused:
            esc.transition(action, AT, "dmitri", {"why": "test"})
        assert isinstance(refused.value, Refused)
        assert state.value in str(refused.value)
        assert (esc.state, esc.audit_seq, esc.audit_head, list(esc.pending)) == before


@pytest.mark.parametrize("state", [s for s in State if s not in FINAL])
def test_cancel_is_allowed_from_every_state_before_confirmed(state: State) -> None:
    assert TRANSITIONS[(state, Action.CANCEL)] is State.CANCELLED


@pytest.mark.parametrize("state", [s for s in State if s not in FINAL])
def test_replanning_is_a_normal_transition_from_every_open_state(state: State) -> None:
    assert TRANSITIONS[(state, Action.PLAN)] is State.PLANNED
    assert TRANSITIONS[(state, Action.PLAN_NOT_READY)] is State.OPENED


def test_nothing_leaves_cancelled() -> None:
    assert [a for (s, a) in TRANSITIONS if s is State.CANCELLED] == []
    with pytest.raises(IllegalTransition, match="final state"):
        escalation_in(State.CANCELLED).transition(Action.CANCEL, AT, "dmitri", {})


def test_a_confirmed_readout_can_only_be_withdrawn() -> None:
    assert [a for (s, a) in TRANSITIONS if s is State.CONFIRMED] == [Action.CANCEL]
    with pytest.raises(IllegalTransition):
        escalation_in(State.CONFIRMED).transition(Action.PLAN, AT, "dmitri", {})


def test_the_issue_s_happy_path_and_exception_path_are_edges_of_the_table() -> None:
    path = [
        (State.OPENED, Action.PLAN_NOT_READY, State.OPENED),
        (State.OPENED, Action.PLAN, State.PLANNED),
        (State.PLANNED, Action.HOLD, State.HELD),
        (State.HELD, Action.REVIEW, State.AWAITING_CONFIRMATION),
        (State.AWAITING_CONFIRMATION, Action.CONFIRM, State.CONFIRMED),
        (State.PLANNED, Action.REQUEST_EXCEPTION, State.EXCEPTION_REQUESTED),
        (State.EXCEPTION_REQUESTED, Action.APPROVE_EXCEPTION, State.EXCEPTION_APPROVED),
        (State.EXCEPTION_APPROVED, Action.HOLD, State.HELD),
        (State.EXCEPTION_REQUESTED, Action.REJECT_EXCEPTION, State.EXCEPTION_REJECTED),
        (State.EXCEPTION_REJECTED, Action.ESCALATE, State.ESCALATED),
        (State.HELD, Action.HOLDS_LOST, State.PLANNED),
    ]
    assert [(s, a, TRANSITIONS.get((s, a))) for s, a, _ in path] == path


def test_an_escalation_cannot_skip_review_or_confirm_without_holds() -> None:
    for state, action in [
        (State.PLANNED, Action.CONFIRM),
        (State.HELD, Action.CONFIRM),
        (State.OPENED, Action.HOLD),
        (State.EXCEPTION_REQUESTED, Action.HOLD),
        (State.EXCEPTION_REJECTED, Action.HOLD),
        (State.ESCALATED, Action.HOLD),
    ]:
        assert (state, action) not in TRANSITIONS
