"""What a refused action says (issue 11, point 5): the command that was refused and the commands the state
allows, as a person types them, never the table's internal action names."""

from __future__ import annotations

from readout.domain.lifecycle import Action, IllegalTransition, State, next_commands


def test_a_refused_review_says_which_commands_the_state_allows() -> None:
    message = str(IllegalTransition(State.EXCEPTION_REQUESTED, Action.REVIEW))

    assert message == (
        "`readout review` is not possible in state exception_requested; possible now: `readout plan`, "
        "`readout approve`, `readout reject`, `readout cancel`"
    )


def test_what_only_readout_does_is_never_offered_as_a_command() -> None:
    # escalated: Readout escalates, and a plan that finds the case not ready is still `readout plan`.
    assert next_commands(State.PLANNED) == [
        "readout plan",
        "readout hold",
        "readout review",
        "readout request-exception",
        "readout cancel",
    ]
    assert str(IllegalTransition(State.CONFIRMED, Action.HOLDS_LOST)) == (
        "holds lost is not possible in state confirmed; possible now: `readout cancel`"
    )


def test_a_final_state_says_so() -> None:
    assert next_commands(State.CANCELLED) == []
    assert str(IllegalTransition(State.CANCELLED, Action.PLAN)).endswith("in state cancelled (final state)")
