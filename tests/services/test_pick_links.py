"""The customer's pick link (issue 13, item 5), on the memory twin, SQLite and PostgreSQL: a coordinator
creates it for the live holds, the customer sees only the purpose, the roles and the held options in their own
zone, answers once; used, expired and revoked links accept nothing; every step is on the audit chain with the
link's id, never its token; nothing is confirmed by the answer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from readout.domain.audit import canonical_json
from readout.domain.auth import digest
from readout.domain.lifecycle import State
from readout.domain.pick_links import Answer, LinkState
from readout.errors import NotFound, PermissionDenied, Refused
from readout.services.holding import hold_slots, release_holds
from readout.services.pick_links import (
    CUSTOMER,
    LinkClosed,
    NotAValidLink,
    answer_link,
    create_link,
    links_of,
    revoke_link,
    view_link,
)
from tests.services.flows import DUTY, EM, FREEZE, FREEZE_ID, GLOBEX, GLOBEX_ID, PSM, Desk

SUMMARY = "SSO token validation outage"  # the case's internal summary: never on the public page


@pytest.fixture
def held(desk: Desk) -> Desk:
    """Globex opened and three spread holds placed by the escalation manager."""
    desk.open(GLOBEX)
    hold_slots(desk.deps, GLOBEX_ID, EM)
    return desk


def test_creating_needs_a_coordinator_and_live_holds(desk: Desk) -> None:
    desk.open(GLOBEX)
    with pytest.raises(Refused, match="no live hold: hold slots first"):
        create_link(desk.deps, GLOBEX_ID, PSM)
    hold_slots(desk.deps, GLOBEX_ID, EM)
    with pytest.raises(PermissionDenied, match="may not hold"):
        create_link(desk.deps, GLOBEX_ID, DUTY)
    with pytest.raises(Refused, match="at most 14 days"):
        create_link(desk.deps, GLOBEX_ID, PSM, timedelta(days=15))
    assert links_of(desk.deps, GLOBEX_ID) == []
    assert "pick_link_created" not in desk.kinds(GLOBEX_ID)


def test_a_created_link_is_stored_as_a_digest_and_audited_by_its_id(held: Desk) -> None:
    created = create_link(held.deps, GLOBEX_ID, PSM)

    [stored] = links_of(held.deps, GLOBEX_ID)
    assert stored.token_hash == digest(created.token) != created.token
    assert stored.expires_at - stored.created_at == timedelta(hours=72)
    [entry] = [e for e in held.audit(GLOBEX_ID) if e.kind == "pick_link_created"]
    assert (entry.actor, entry.payload["link"]) == (PSM, stored.id)
    assert len(entry.payload["options"]) == 3
    assert created.token not in canonical_json([e.payload for e in held.audit(GLOBEX_ID)])


def test_the_public_view_shows_only_the_purpose_roles_and_held_options_in_the_contacts_zone(
    held: Desk,
) -> None:
    created = create_link(held.deps, GLOBEX_ID, PSM)

    view = view_link(held.deps, created.token)

    assert view.state is LinkState.OPEN
    assert view.purpose == "Root-cause analysis readout, Globex Financial"
    assert view.zone == "America/Mexico_City"  # Luis, the customer's incident manager
    assert view.options == tuple(sorted(h.slot for h in held.live_holds(GLOBEX_ID)))
    assert "customer_incident_manager" in view.roles
    assert "interpreter" in view.roles
    assert SUMMARY not in repr(view)
    for name in ("Dana", "Ravi", "Mei", "Luis"):  # roles, never people
        assert name not in repr(view)
    assert view_link(held.deps, created.token) == view  # opening it changes nothing


def test_the_customer_picks_once_and_nothing_is_confirmed(held: Desk) -> None:
    created = create_link(held.deps, GLOBEX_ID, PSM)
    option = view_link(held.deps, created.token).options[1]

    answered = answer_link(held.deps, created.token, option.start, "  Luis prefers this one  ")

    assert (answered.answer, answered.picked, answered.note) == (
        Answer.PICKED,
        option,
        "Luis prefers this one",
    )
    [entry] = [e for e in held.audit(GLOBEX_ID) if e.kind == "customer_picked"]
    assert entry.actor == CUSTOMER
    assert entry.payload["link"] == answered.id
    assert entry.payload["start"] == option.start.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert created.token not in canonical_json(entry.payload)
    assert held.escalation(GLOBEX_ID).state is State.HELD  # the coordinator still confirms
    assert len(held.live_holds(GLOBEX_ID)) == 3
    with pytest.raises(LinkClosed, match="was used") as closed:
        answer_link(held.deps, created.token, None, "changed my mind")
    assert closed.value.state is LinkState.USED
    assert view_link(held.deps, created.token).options == ()  # a used link offers nothing


def test_none_works_is_recorded_with_the_note(held: Desk) -> None:
    created = create_link(held.deps, GLOBEX_ID, PSM)

    answer_link(held.deps, created.token, None, "the whole week is our freeze")

    [link] = links_of(held.deps, GLOBEX_ID)
    assert (link.answer, link.picked, link.note) == (Answer.DECLINED, None, "the whole week is our freeze")
    [entry] = [e for e in held.audit(GLOBEX_ID) if e.kind == "customer_declined"]
    assert entry.payload["with_note"] is True


def test_a_refused_answer_records_nothing_and_leaves_the_link_open(held: Desk) -> None:
    created = create_link(held.deps, GLOBEX_ID, PSM)
    first = view_link(held.deps, created.token).options[0]
    before = held.kinds(GLOBEX_ID)

    with pytest.raises(Refused, match="at most 1000"):
        answer_link(held.deps, created.token, None, "x" * 1001)
    release_holds(held.deps, GLOBEX_ID, EM, first.start)
    after_release = held.kinds(GLOBEX_ID)
    with pytest.raises(Refused, match="no longer held"):
        answer_link(held.deps, created.token, first.start, "")

    assert held.kinds(GLOBEX_ID)[: len(before)] == before
    assert held.kinds(GLOBEX_ID) == after_release
    assert view_link(held.deps, created.token).state is LinkState.OPEN
    assert first not in view_link(held.deps, created.token).options


def test_an_expired_link_accepts_nothing(held: Desk) -> None:
    created = create_link(held.deps, GLOBEX_ID, PSM, timedelta(hours=2))
    held.clock.advance(hours=2)

    assert view_link(held.deps, created.token).state is LinkState.EXPIRED
    with pytest.raises(LinkClosed, match="was expired"):
        answer_link(held.deps, created.token, None, "")


def test_a_revoked_link_accepts_nothing_and_is_revoked_once(held: Desk) -> None:
    created = create_link(held.deps, GLOBEX_ID, PSM)
    link_id = created.link.id
    with pytest.raises(PermissionDenied):
        revoke_link(held.deps, GLOBEX_ID, link_id, DUTY)

    revoke_link(held.deps, GLOBEX_ID, link_id, EM)

    assert view_link(held.deps, created.token).state is LinkState.REVOKED
    with pytest.raises(LinkClosed, match="was revoked"):
        answer_link(held.deps, created.token, None, "")
    with pytest.raises(Refused, match="already revoked"):
        revoke_link(held.deps, GLOBEX_ID, link_id, EM)
    [entry] = [e for e in held.audit(GLOBEX_ID) if e.kind == "pick_link_revoked"]
    assert (entry.actor, entry.payload["link"]) == (EM, link_id)


def test_a_link_is_revoked_only_through_its_own_escalation(desk: Desk) -> None:
    desk.open(FREEZE)
    desk.open(GLOBEX)
    hold_slots(desk.deps, GLOBEX_ID, EM)
    created = create_link(desk.deps, GLOBEX_ID, PSM)
    with pytest.raises(NotFound, match="no pick link"):
        revoke_link(desk.deps, FREEZE_ID, created.link.id, PSM)
    assert view_link(desk.deps, created.token).state is LinkState.OPEN


@pytest.mark.parametrize("token", ["", "short", "x" * 43, "x" * 5000, "../../etc/passwd"])
def test_a_wrong_token_is_not_a_valid_link(held: Desk, token: str) -> None:
    create_link(held.deps, GLOBEX_ID, PSM)
    with pytest.raises(NotAValidLink, match="not a valid link"):
        view_link(held.deps, token)
    with pytest.raises(NotAValidLink):
        answer_link(held.deps, token, None, "")
