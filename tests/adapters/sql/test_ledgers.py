"""Holds, exception requests, waivers, plans and users: the contract of the remaining ports."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from readout.domain.exception_requests import Decision
from readout.domain.holds import HoldStatus, Placement
from readout.domain.plan import Candidate, NearMiss, Plan, PlanStatus, Unreadable, Unverified
from readout.domain.users import Role
from tests.adapters.sql.builders import at, escalation, exception_request, hold, user, waiver
from tests.support.db_fixtures import Store


def test_a_recorded_hold_gets_an_id_and_comes_back(uow_factory: Store) -> None:
    with uow_factory() as uow:
        first = uow.holds.add(hold(calendar="dana"))
        second = uow.holds.add(hold(day=11, calendar="ravi"))
        uow.commit()

    assert first is not None
    assert second is not None
    assert first.id != second.id
    with uow_factory() as uow:
        assert uow.holds.of("ESC-1") == [first, second]
        assert uow.holds.of("ESC-2") == []


def test_a_second_live_hold_of_the_same_slot_is_refused_on_any_calendar(uow_factory: Store) -> None:
    with uow_factory() as uow:
        first = uow.holds.add(hold())
        assert uow.holds.add(hold(placed=at(4, 11))) is None
        assert uow.holds.add(hold(calendar="ravi")) is None  # one escalation, one slot, one live hold
        # the refusal leaves the transaction usable, and other slots and escalations are free
        assert uow.holds.add(hold(day=11)) is not None
        assert uow.holds.add(hold("ESC-2")) is not None
        uow.commit()

    assert first is not None
    with uow_factory() as uow:
        assert uow.holds.add(hold(placed=at(4, 12))) is None  # also across units of work
        same_slot = [h for h in uow.holds.of("ESC-1") if h.slot == first.slot and h.calendar == "dana"]
        assert same_slot == [first]


@pytest.mark.parametrize("end", [HoldStatus.RELEASED, HoldStatus.EXPIRED, HoldStatus.CONFIRMED])
def test_the_slot_can_be_held_again_once_the_live_hold_ended(uow_factory: Store, end: HoldStatus) -> None:
    with uow_factory() as uow:
        first = uow.holds.add(hold())
        assert first is not None
        uow.holds.update(first.ended(end, at(4, 11), "replanned"))
        uow.commit()

    with uow_factory() as uow:
        again = uow.holds.add(hold(placed=at(4, 12)))
        uow.commit()

    assert again is not None
    with uow_factory() as uow:
        stored = uow.holds.of("ESC-1")
    assert [(h.status, h.ended_at, h.end_reason) for h in stored] == [
        (end, at(4, 11), "replanned"),
        (HoldStatus.LIVE, None, None),
    ]


def test_an_extended_hold_keeps_its_new_expiry(uow_factory: Store) -> None:
    with uow_factory() as uow:
        placed = uow.holds.add(hold())
        assert placed is not None
        longer = placed.extended(at(5, 8, 0, 5), timedelta(hours=36))
        uow.holds.update(longer)
        uow.commit()

    with uow_factory() as uow:
        assert uow.holds.of("ESC-1") == [longer]


def test_expired_lists_live_holds_past_their_expiry_across_escalations(uow_factory: Store) -> None:
    with uow_factory() as uow:
        early = uow.holds.add(hold("ESC-1", placed=at(4, 9)))  # expires 5th 09:00
        late = uow.holds.add(hold("ESC-2", placed=at(4, 15)))  # expires 5th 15:00
        released = uow.holds.add(hold("ESC-3", placed=at(4, 8)))
        assert early is not None
        assert late is not None
        assert released is not None
        uow.holds.update(released.ended(HoldStatus.RELEASED, at(4, 9), "cancelled"))
        uow.commit()

    with uow_factory() as uow:
        assert uow.holds.expired(at(5, 8, 59)) == []
        assert uow.holds.expired(at(5, 9)) == [early]  # expiry is inclusive
        assert sorted(h.id for h in uow.holds.expired(at(6))) == sorted([early.id, late.id])


def test_exception_requests_get_ids_and_keep_their_options(uow_factory: Store) -> None:
    with uow_factory() as uow:
        first = uow.exceptions.add(replace(exception_request(), id=99))
        second = uow.exceptions.add(exception_request("ESC-2"))
        third = uow.exceptions.add(exception_request(reason="second try"))
        uow.commit()

    assert len({first.id, second.id, third.id}) == 3
    assert first == replace(exception_request(), id=first.id)
    with uow_factory() as uow:
        assert uow.exceptions.of("ESC-1") == [first, third]
        assert uow.exceptions.of("ESC-2") == [second]
        option = uow.exceptions.of("ESC-1")[0].option_at(exception_request().options[0].slot.start)
    assert option == exception_request().options[0]


def test_a_decided_exception_request_is_written_back(uow_factory: Store) -> None:
    with uow_factory() as uow:
        request = uow.exceptions.add(exception_request())
        uow.commit()

    decided = request.decided(Decision.APPROVED, "dm.lee", at(6, 9, 30, 77), "one-off")
    with uow_factory() as uow:
        uow.exceptions.update(decided)
        uow.commit()

    with uow_factory() as uow:
        assert uow.exceptions.of("ESC-1") == [decided]


def test_waivers_are_recorded_per_escalation_in_order(uow_factory: Store) -> None:
    first, second = waiver(request_id=1), replace(waiver(request_id=2), reason="again")
    with uow_factory() as uow:
        uow.waivers.add(first)
        uow.waivers.add(waiver("ESC-2"))
        uow.waivers.add(second)
        uow.commit()

    with uow_factory() as uow:
        assert uow.waivers.of("ESC-1") == [first, second]
        assert uow.waivers.of("ESC-2") == [waiver("ESC-2")]
        assert uow.waivers.of("ESC-3") == []


def test_the_latest_plan_is_the_last_added(uow_factory: Store) -> None:
    older = Plan("ESC-1", PlanStatus.NEEDS_EXCEPTION, violations={"COVERAGE": 3}, causes=("COVERAGE",))
    newer = Plan(
        "ESC-1",
        PlanStatus.READY,
        earliest_start=at(3, 10),
        deadline=at(9, 23),
        candidates=(Candidate(at(10, 15), at(10, 16), "ana", 0.75, ("é",)),),
        near_misses=(NearMiss(at(10, 17), at(10, 18), ("COVERAGE",), None),),
        slots_considered=42,
        unverified=(Unverified("sam", "escalation_manager"),),
        unknown=(Unreadable("ravi", "fix_owner", "timed out"),),
    )
    not_ready = Plan("ESC-2", PlanStatus.NOT_READY, not_ready=("RCA_NOT_APPROVED",))
    with uow_factory() as uow:
        assert uow.plans.latest("ESC-1") is None
        uow.plans.add("ESC-1", at(3, 9), older)
        uow.plans.add("ESC-2", at(3, 9, 30), not_ready)
        uow.plans.add("ESC-1", at(3, 10), newer)
        uow.commit()

    with uow_factory() as uow:
        assert uow.plans.latest("ESC-1") == newer  # every field comes back as it was
        assert uow.plans.latest("ESC-2") == not_ready


def test_users_are_put_replaced_and_listed_by_id(uow_factory: Store) -> None:
    with uow_factory() as uow:
        assert uow.users.get("pm.ana") is None
        uow.users.put(user("pm.ana"))
        uow.users.put(user("dm.lee", Role.DUTY_MANAGER))
        uow.users.put(user("em.zed", Role.ENGINEERING_MANAGER, Role.PROGRAM_MANAGER))
        uow.commit()

    promoted = replace(
        user("pm.ana"), name="Ana Ruiz", roles=frozenset({Role.PROGRAM_MANAGER, Role.SUPPORT_LEADERSHIP})
    )
    with uow_factory() as uow:
        uow.users.put(promoted)
        uow.commit()

    with uow_factory() as uow:
        assert uow.users.get("pm.ana") == promoted
        assert [u.id for u in uow.users.list()] == ["dm.lee", "em.zed", "pm.ana"]
        assert uow.users.list()[1].roles == {Role.ENGINEERING_MANAGER, Role.PROGRAM_MANAGER}


def test_leaving_without_commit_rolls_everything_back(uow_factory: Store) -> None:
    with uow_factory() as uow:
        uow.escalations.add(escalation())
        uow.holds.add(hold())
        uow.plans.add("ESC-1", at(3), Plan("ESC-1", PlanStatus.READY))
        uow.exceptions.add(exception_request())
        uow.waivers.add(waiver())
        uow.users.put(user())

    with uow_factory() as uow:
        assert uow.escalations.list() == []
        assert uow.audit.entries("ESC-1") == []
        assert uow.holds.of("ESC-1") == []
        assert uow.plans.latest("ESC-1") is None
        assert uow.exceptions.of("ESC-1") == []
        assert uow.waivers.of("ESC-1") == []
        assert uow.users.list() == []


def test_an_error_inside_the_block_rolls_back(uow_factory: Store) -> None:
    def add_then_fail() -> None:
        with uow_factory() as uow:
            uow.escalations.add(escalation())
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        add_then_fail()

    with uow_factory() as uow:
        assert uow.escalations.get("ESC-1") is None


def test_work_after_a_commit_is_rolled_back_unless_committed_again(uow_factory: Store) -> None:
    with uow_factory() as uow:
        uow.escalations.add(escalation("ESC-1"))
        uow.commit()
        uow.escalations.add(escalation("ESC-2"))

    with uow_factory() as uow:
        assert [e.id for e in uow.escalations.list()] == ["ESC-1"]


def test_a_hold_on_several_calendars_keeps_every_placement_and_its_reference(uow_factory: Store) -> None:
    base = hold(calendar="caldav://dav.example/dana/")
    placements = (
        Placement("caldav://dav.example/dana/", "dana", "America/Chicago", base.uid),
        Placement("caldav://dav.example/ravi/", "ravi", "Asia/Kolkata", "ESC-1/ravi-uid"),
    )
    with uow_factory() as uow:
        stored = uow.holds.add(replace(base, placements=placements))
        assert stored is not None
        # one row per slot: a second hold of the slot on another calendar is still refused
        assert uow.holds.add(hold(calendar="caldav://dav.example/ravi/")) is None
        uow.commit()

    placed = stored.with_refs({"caldav://dav.example/ravi/": '{"etag": "e2"}'})
    with uow_factory() as uow:
        uow.holds.update(placed)
        uow.commit()
    with uow_factory() as uow:
        [back] = uow.holds.of("ESC-1")

    assert back == placed
    assert [(p.person, p.zone, p.ref) for p in back.targets] == [
        ("dana", "America/Chicago", None),
        ("ravi", "Asia/Kolkata", '{"etag": "e2"}'),
    ]
    assert not back.ledger_only


def test_a_hold_recorded_without_placements_is_on_its_own_calendar(uow_factory: Store) -> None:
    with uow_factory() as uow:
        stored = uow.holds.add(hold(calendar="dana"))
        uow.commit()
    assert stored is not None
    with uow_factory() as uow:
        [back] = uow.holds.of("ESC-1")
    assert [(p.calendar, p.uid) for p in back.targets] == [("dana", stored.uid)]
    assert back.ledger_only  # a person id, not a CalDAV collection: on nobody's calendar
