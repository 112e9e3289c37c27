"""Issue 11, point 5: recovery paths. A confirmation refused by its fresh check says who became busy (name, role,
their local time) and which commands go on; the stale review is dropped; a slot still held can be reviewed at
once; every command a message suggests is one the CLI has."""

from __future__ import annotations

import re
import shlex

import pytest

from readout.domain.lifecycle import COMMANDS, TRANSITIONS, Action, IllegalTransition, State
from readout.entrypoints.cli import build_parser
from readout.errors import Refused
from readout.services.confirmation import confirm, review
from readout.services.holding import hold_slots
from readout.services.queries import escalation_status
from tests.services.flows import EM, GLOBEX, GLOBEX_ID, Desk, book, u

BEST = u(2026, 11, 17, 18)  # the best slot: 12:00 Mexico City, 13:00 New York, 23:30 Kolkata


@pytest.fixture
def reviewed(desk: Desk) -> Desk:
    desk.open(GLOBEX)
    hold_slots(desk.deps, GLOBEX_ID, EM)
    assert BEST in [h.slot.start for h in desk.live_holds(GLOBEX_ID)]
    review(desk.deps, GLOBEX_ID, EM, BEST)
    return desk


def _mei_books_the_reviewed_slot(desk: Desk) -> None:
    mei = desk.copy(GLOBEX).parent / "calendars" / "mei.ics"
    book(mei, u(2026, 11, 17, 18, 30), u(2026, 11, 17, 19), "Board prep (booked after review)")


def _commands(texts: list[str] | tuple[str, ...]) -> list[list[str]]:
    """Every command quoted in backticks, split as a shell would."""
    return [shlex.split(c) for text in texts for c in re.findall(r"`([^`]+)`", text)]


def _parses(argv: list[str]) -> bool:
    """Whether ``readout ARGS`` is a command line the CLI accepts (placeholders filled in)."""
    assert argv[0] == "readout"
    filled = [
        {"ESC": GLOBEX_ID, "USER": EM, "START": "2026-11-17T18:00:00Z", "CASE": "case.yaml"}.get(a, a)
        for a in argv[1:]
    ]
    try:
        build_parser().parse_args(filled)
    except SystemExit:
        return False
    return True


def test_a_refused_confirmation_names_who_became_busy_in_their_local_time(reviewed: Desk) -> None:
    _mei_books_the_reviewed_slot(reviewed)

    outcome = confirm(reviewed.deps, GLOBEX_ID, EM, reviewed.escalation(GLOBEX_ID).packet_digest or "")

    assert outcome.confirmed is False
    # 18:00-19:00 UTC is 13:00-14:00 in New York, where Mei (customer success director) works.
    assert outcome.obstacles == (
        "Mei Chen (customer success director) is now busy Tue 17 Nov 13:00-14:00 New York, their time",
    )
    assert outcome.reason.startswith("free/busy changed")
    assert outcome.obstacles[0] in outcome.reason
    (refused,) = [e for e in reviewed.audit(GLOBEX_ID) if e.kind == "confirmation_refused"]
    assert (refused.actor, refused.payload["obstacles"]) == (EM, list(outcome.obstacles))
    assert "Board prep" not in str(refused.payload)  # free/busy only: never an event's title


def test_after_a_refused_confirmation_status_no_longer_shows_the_review(reviewed: Desk) -> None:
    _mei_books_the_reviewed_slot(reviewed)

    confirm(reviewed.deps, GLOBEX_ID, EM, reviewed.escalation(GLOBEX_ID).packet_digest or "")

    esc = escalation_status(reviewed.deps, GLOBEX_ID).escalation
    assert (esc.review_slot, esc.review_interpreter, esc.packet_digest) == (None, None, None)


def test_after_a_refused_confirmation_another_held_slot_is_reviewed_and_confirmed(reviewed: Desk) -> None:
    _mei_books_the_reviewed_slot(reviewed)
    outcome = confirm(reviewed.deps, GLOBEX_ID, EM, reviewed.escalation(GLOBEX_ID).packet_digest or "")
    still = [h.slot.start for h in reviewed.live_holds(GLOBEX_ID)]
    assert still
    assert BEST not in still

    seen = review(reviewed.deps, GLOBEX_ID, EM, still[0])  # no `readout hold` needed first

    assert reviewed.escalation(GLOBEX_ID).state is State.AWAITING_CONFIRMATION
    assert confirm(reviewed.deps, GLOBEX_ID, EM, seen.packet.digest).confirmed
    # The refusal said so, command by command:
    review_step = f"`readout review {GLOBEX_ID} --slot {still[0]:%Y-%m-%dT%H:%M:%SZ} --as {EM}`"
    assert any(step.startswith(review_step) for step in outcome.next_steps)
    assert any(step.startswith(f"`readout hold {GLOBEX_ID} --as {EM}`") for step in outcome.next_steps)
    assert outcome.next_steps[-1].startswith(f"`readout plan {GLOBEX_ID} --as {EM}`")


def test_every_next_step_of_a_refused_confirmation_is_a_real_command_line(reviewed: Desk) -> None:
    _mei_books_the_reviewed_slot(reviewed)

    outcome = confirm(reviewed.deps, GLOBEX_ID, EM, reviewed.escalation(GLOBEX_ID).packet_digest or "")

    commands = _commands(outcome.next_steps)
    assert len(commands) >= 3
    assert all(_parses(argv) for argv in commands), commands


PAIRS = [(s, a) for s in State for a in Action if (s, a) not in TRANSITIONS]


@pytest.mark.parametrize(("state", "action"), PAIRS, ids=[f"{s.value}-{a.value}" for s, a in PAIRS])
def test_an_illegal_transition_suggests_only_commands_the_cli_has(state: State, action: Action) -> None:
    message = str(IllegalTransition(state, action))

    verbs = set(build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    named = [argv[1] for argv in _commands([message.partition("possible now:")[2]])]
    allowed = {COMMANDS[a] for (s, a) in TRANSITIONS if s is state} - {None}
    assert set(named) == allowed, message  # what the state allows, as typed...
    assert {argv[1] for argv in _commands([message])} <= verbs, message  # ... each a verb of the CLI
    assert named or message.endswith("(final state)"), message
    for internal in ("plan_not_ready", "holds_lost", "approve_exception", "request_exception", "escalate"):
        assert internal not in message.partition("possible now:")[2], message


def test_a_refused_hold_check_names_the_commands_that_go_on(reviewed: Desk) -> None:
    reviewed.clock.advance(hours=24)  # the reviewed hold expired

    with pytest.raises(Refused) as refused:
        confirm(reviewed.deps, GLOBEX_ID, EM, reviewed.escalation(GLOBEX_ID).packet_digest or "")

    commands = _commands([str(refused.value)])
    assert [argv[1] for argv in commands] == ["hold", "review"]
    assert all(_parses(argv) for argv in commands)


def test_when_nothing_complies_after_a_refusal_the_next_steps_say_who_decides(reviewed: Desk) -> None:
    mei = reviewed.copy(GLOBEX).parent / "calendars" / "mei.ics"
    book(mei, u(2026, 11, 12), u(2026, 11, 21), "Offsite (booked after review)")  # Mei is away throughout

    outcome = confirm(reviewed.deps, GLOBEX_ID, EM, reviewed.escalation(GLOBEX_ID).packet_digest or "")

    assert reviewed.escalation(GLOBEX_ID).state is State.ESCALATED  # an attendee's time is never waived
    assert reviewed.live_holds(GLOBEX_ID) == []
    assert "support leadership" in outcome.next_steps[0]
    commands = _commands(outcome.next_steps)
    assert [argv[1] for argv in commands] == ["status", "approve", "reject", "plan"]
    assert all(_parses(argv) for argv in commands), commands
