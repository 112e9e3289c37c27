"""The readout lifecycle: one transition table, nothing else decides what may follow what.

opened --plan(ready)--> planned --hold--> held --review--> awaiting_confirmation --confirm--> confirmed
planned --review--> awaiting_confirmation (a re-plan or a refused confirmation kept live holds to review)
planned --request_exception--> exception_requested --approve--> exception_approved --hold--> held
                                                   --reject--> exception_rejected --escalate--> escalated
any state --cancel--> cancelled (a confirmed readout is withdrawn: attendees get an iMIP CANCEL);
re-planning (inputs changed) is a normal transition.
"""

from __future__ import annotations

from enum import Enum

from readout.errors import Refused

__all__ = ["COMMANDS", "TRANSITIONS", "Action", "IllegalTransition", "State", "next_commands", "next_state"]


class State(Enum):
    """Where an escalation's readout stands."""

    OPENED = "opened"
    PLANNED = "planned"
    HELD = "held"
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    CONFIRMED = "confirmed"
    EXCEPTION_REQUESTED = "exception_requested"
    EXCEPTION_APPROVED = "exception_approved"
    EXCEPTION_REJECTED = "exception_rejected"
    ESCALATED = "escalated"
    CANCELLED = "cancelled"


class Action(Enum):
    """What can happen to an escalation."""

    PLAN_NOT_READY = "plan_not_ready"  # planned while the RCA is unapproved or a role is unassigned
    PLAN = "plan"  # a plan was made (ready or needs_exception)
    HOLD = "hold"
    REVIEW = "review"
    CONFIRM = "confirm"
    REQUEST_EXCEPTION = "request_exception"
    APPROVE_EXCEPTION = "approve_exception"
    REJECT_EXCEPTION = "reject_exception"
    ESCALATE = "escalate"
    CANCEL = "cancel"
    HOLDS_LOST = "holds_lost"  # every hold expired or was released before confirmation


_REPLANNABLE = (
    State.OPENED,
    State.PLANNED,
    State.HELD,
    State.AWAITING_CONFIRMATION,
    State.EXCEPTION_REQUESTED,
    State.EXCEPTION_APPROVED,
    State.EXCEPTION_REJECTED,
    State.ESCALATED,
)
_OPEN = (*_REPLANNABLE,)

TRANSITIONS: dict[tuple[State, Action], State] = {
    **{(s, Action.PLAN): State.PLANNED for s in _REPLANNABLE},
    **{(s, Action.PLAN_NOT_READY): State.OPENED for s in _REPLANNABLE},
    (State.PLANNED, Action.HOLD): State.HELD,
    (State.EXCEPTION_APPROVED, Action.HOLD): State.HELD,
    (State.HELD, Action.HOLD): State.HELD,  # extending or topping up holds
    (State.HELD, Action.REVIEW): State.AWAITING_CONFIRMATION,
    # A re-plan (or a confirmation refused by its fresh check) keeps the holds the new plan still allows:
    # any of them may be reviewed at once (review itself requires a live hold on an eligible slot).
    (State.PLANNED, Action.REVIEW): State.AWAITING_CONFIRMATION,
    (State.AWAITING_CONFIRMATION, Action.REVIEW): State.AWAITING_CONFIRMATION,  # review another slot
    (State.AWAITING_CONFIRMATION, Action.CONFIRM): State.CONFIRMED,
    (State.HELD, Action.REQUEST_EXCEPTION): State.EXCEPTION_REQUESTED,
    (State.AWAITING_CONFIRMATION, Action.REQUEST_EXCEPTION): State.EXCEPTION_REQUESTED,
    (State.EXCEPTION_APPROVED, Action.REQUEST_EXCEPTION): State.EXCEPTION_REQUESTED,
    # Support leadership decides requests escalated to it (the case is then updated and re-planned).
    (State.ESCALATED, Action.APPROVE_EXCEPTION): State.EXCEPTION_APPROVED,
    (State.ESCALATED, Action.REJECT_EXCEPTION): State.EXCEPTION_REJECTED,
    (State.EXCEPTION_REQUESTED, Action.APPROVE_EXCEPTION): State.EXCEPTION_APPROVED,
    (State.EXCEPTION_REQUESTED, Action.REJECT_EXCEPTION): State.EXCEPTION_REJECTED,
    (State.PLANNED, Action.ESCALATE): State.ESCALATED,
    (State.EXCEPTION_REQUESTED, Action.ESCALATE): State.ESCALATED,
    (State.EXCEPTION_REJECTED, Action.ESCALATE): State.ESCALATED,
    (State.HELD, Action.HOLDS_LOST): State.PLANNED,
    (State.AWAITING_CONFIRMATION, Action.HOLDS_LOST): State.PLANNED,
    (State.PLANNED, Action.REQUEST_EXCEPTION): State.EXCEPTION_REQUESTED,
    **{(s, Action.CANCEL): State.CANCELLED for s in _OPEN},
    # A confirmed readout can still be withdrawn: the attendees get an iMIP CANCEL.
    (State.CONFIRMED, Action.CANCEL): State.CANCELLED,
}


# The command a person types for each action (``readout VERB``); None: only Readout itself does it (a plan
# that finds the case not ready, escalating when nothing is waivable, losing the last hold).
COMMANDS: dict[Action, str | None] = {
    Action.PLAN_NOT_READY: None,
    Action.PLAN: "plan",
    Action.HOLD: "hold",
    Action.REVIEW: "review",
    Action.CONFIRM: "confirm",
    Action.REQUEST_EXCEPTION: "request-exception",
    Action.APPROVE_EXCEPTION: "approve",
    Action.REJECT_EXCEPTION: "reject",
    Action.ESCALATE: None,
    Action.CANCEL: "cancel",
    Action.HOLDS_LOST: None,
}


def next_commands(state: State) -> list[str]:
    """The commands a person may run in ``state`` (``readout VERB``), in workflow order; empty when final."""
    verbs = {COMMANDS[a] for (s, a) in TRANSITIONS if s is state}
    return [f"readout {v}" for v in dict.fromkeys(COMMANDS.values()) if v is not None and v in verbs]


class IllegalTransition(Refused):
    """An action that the current state does not allow; nothing was changed. The message names the command
    and the commands the state allows, as typed (``readout hold``), never internal action names."""

    def __init__(self, state: State, action: Action) -> None:
        verb = COMMANDS[action]
        what = f"`readout {verb}`" if verb else action.value.replace("_", " ")
        allowed = next_commands(state)
        super().__init__(
            f"{what} is not possible in state {state.value}"
            + (f"; possible now: {', '.join(f'`{c}`' for c in allowed)}" if allowed else " (final state)")
        )
        self.state = state
        self.action = action


def next_state(state: State, action: Action) -> State:
    """The state after ``action``; raises IllegalTransition when the table has no such edge."""
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise IllegalTransition(state, action) from None
