"""The outcome measures (docs/outcomes.md) against a hand-computed store (tests/services/outcome_store.py), on
the in-memory twin, SQLite and PostgreSQL: each number below was worked out by hand from the store's story."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Any

import pytest

from readout.services.confirmation import confirm, review
from readout.services.context import Deps
from readout.services.exceptions import approve
from readout.services.holding import hold_slots
from readout.services.outcomes import InvalidPeriod, LedgerRecords, Scope, measure
from tests.services.flows import DUTY, EM, FREEZE, FREEZE_ID, GLOBEX, GLOBEX_ID, PSM, Clock, Desk, u
from tests.services.outcome_store import AS_OF, H, measured_by_sql, write_outcome_store
from tests.support.db_fixtures import Store


@pytest.fixture
def report_deps(deps: Deps, store_uow: Store, clock: Clock) -> Deps:
    write_outcome_store(store_uow)
    clock.set(AS_OF)
    return dataclasses.replace(deps, uow=measured_by_sql(store_uow), view=None)


def test_time_to_first_viable_slot_splits_human_waiting_from_machine_time(report_deps: Deps) -> None:
    viable = measure(report_deps).to_json()["overall"]["time_to_viable"]
    # totals 1 h (D), 3 h (B), 4 h (A), 6 h (F); human 1, 3, 2, 6 h; machine 0, 0, 2, 0 h; C has none yet
    assert viable == {
        "reached": 4,
        "not_yet": 1,
        "total": {"median_s": int(3.5 * H), "p90_s": 6 * H},
        "machine": {"median_s": 0, "p90_s": 2 * H},
        "human_wait": {"median_s": int(2.5 * H), "p90_s": 6 * H},
    }


def test_first_pass_share_counts_lost_holds_rechecks_and_second_reviews(report_deps: Deps) -> None:
    first = measure(report_deps).to_json()["overall"]["first_pass"]
    assert first == {
        "confirmed": 3,  # A, B, and F (confirmed, then cancelled)
        "without_back_and_forth": 1,  # A only
        "share": 0.3333,
        "reasons": {"lost_hold": 1, "failed_recheck": 1, "second_review": 1, "repeated_exception": 0},
    }


def test_escalations_count_once_per_cause(report_deps: Deps) -> None:
    causes = measure(report_deps).to_json()["overall"]["escalation_causes"]
    assert causes["escalated"] == 2
    assert causes["to_support_leadership"] == 1
    named = {cause: n for cause, n in causes["by_cause"].items() if n}
    # C's two requests both name INTERPRETER: one escalation, counted once
    assert named == {"INTERPRETER": 1, "ATTENDEE:fix_owner": 1, "COVERAGE": 1, "CAB_BLACKOUT": 1}
    assert causes["by_cause"]["HANDOFF_WINDOW"] == 0
    assert causes["by_cause"]["CUSTOMER_HOURS"] == 0


def test_deadlines_met_missed_and_pending_as_of_the_clock(report_deps: Deps, clock: Clock) -> None:
    report = measure(report_deps).to_json()
    assert report["as_of"] == "2026-11-20T12:00:00Z"
    assert report["awaiting_approval"] == 1
    assert report["overall"]["escalations"] == 5
    assert report["overall"]["deadlines"] == {
        "met": 1,
        "missed": 2,
        "missed_confirmed_late": 1,
        "missed_still_open": 1,
        "missed_then_cancelled": 0,  # F was confirmed before it was cancelled
        "pending": 1,
        "cancelled": 1,
    }
    clock.set(AS_OF.replace(day=28))  # D's deadline (11-27) has passed too
    assert measure(report_deps).to_json()["overall"]["deadlines"]["missed_still_open"] == 2


def test_per_customer_breakdown_and_customer_filter(report_deps: Deps) -> None:
    report = measure(report_deps).to_json()
    acme, globex = report["customers"]["acme"], report["customers"]["globex"]
    assert (acme["escalations"], globex["escalations"]) == (2, 3)
    assert acme["time_to_viable"]["total"] == {"median_s": int(3.5 * H), "p90_s": 4 * H}
    assert acme["deadlines"]["met"] == 1
    assert acme["deadlines"]["missed_confirmed_late"] == 1
    assert globex["first_pass"]["confirmed"] == 1
    assert globex["first_pass"]["without_back_and_forth"] == 0
    only = measure(report_deps, customer="acme").to_json()
    assert list(only["customers"]) == ["acme"]
    assert only["overall"] == acme
    assert only["period"] == {"from": None, "to": None, "customer": "acme"}


def test_period_selects_by_approval_date(report_deps: Deps) -> None:
    late = measure(report_deps, start=date(2026, 11, 19)).to_json()
    assert late["overall"]["escalations"] == 1  # D only
    assert late["overall"]["deadlines"]["pending"] == 1
    early = measure(report_deps, start=date(2026, 11, 3), end=date(2026, 11, 5)).to_json()
    assert early["overall"]["escalations"] == 2  # B (11-03) and C (11-05): bounds inclusive
    assert sorted(early["customers"]) == ["acme", "globex"]
    with pytest.raises(InvalidPeriod, match="after its --to"):
        measure(report_deps, start=date(2026, 11, 5), end=date(2026, 11, 3))


def test_sql_and_ports_give_the_same_facts(report_deps: Deps, store_uow: Store) -> None:
    """On a SQL store the records come from SQL; the ports' Python reading must agree with them."""
    if store_uow.engine is None:
        pytest.skip("the memory store has only the ports' reading")
    scope = Scope()
    with report_deps.uow() as uow:
        sql: Any = uow.outcomes  # type: ignore[attr-defined]
        ports = LedgerRecords(uow)
        assert sql.cases(scope) == ports.cases(scope)
        assert sorted(sql.moments(scope), key=repr) == sorted(ports.moments(scope), key=repr)
        assert sql.requests(scope) == ports.requests(scope)
        assert sql.awaiting_approval("globex") == ports.awaiting_approval("globex") == 1


def test_real_flows_measured_from_what_the_services_recorded(desk: Desk, store_uow: Store) -> None:
    """Globex through plan, hold, review, confirm; the Initech freeze through a waiver its duty manager approves
    five hours later: both driven by the real services on the pinned test clock (``--now``)."""
    deps = dataclasses.replace(desk.deps, uow=measured_by_sql(store_uow), view=None)
    desk.open(GLOBEX)
    opened = desk.clock()
    approved = desk.escalation(GLOBEX_ID).approved_at
    assert approved is not None
    desk.clock.advance(hours=1)
    hold_slots(deps, GLOBEX_ID, EM)
    desk.clock.advance(hours=1)
    seen = review(deps, GLOBEX_ID, EM, u(2026, 11, 17, 18))
    assert confirm(deps, GLOBEX_ID, PSM, seen.packet.digest).confirmed

    desk.open(FREEZE)
    request = desk.requests(FREEZE_ID)[0]
    desk.clock.advance(hours=5)
    approve(deps, FREEZE_ID, DUTY, request.options[0].slot.start, "coverage waived for the freeze")
    freeze_approved = desk.escalation(FREEZE_ID).approved_at
    assert freeze_approved is not None
    freeze_open = desk.clock() - timedelta(hours=5)

    report = measure(deps).to_json()
    globex = report["customers"]["globex-financial"]
    waited = int((opened - approved).total_seconds())  # ready at once: only the wait before opening
    assert globex["time_to_viable"]["total"] == {"median_s": waited, "p90_s": waited}
    assert globex["time_to_viable"]["machine"] == {"median_s": 0, "p90_s": 0}
    assert globex["first_pass"] == {
        "confirmed": 1,
        "without_back_and_forth": 1,
        "share": 1.0,
        "reasons": {"lost_hold": 0, "failed_recheck": 0, "second_review": 0, "repeated_exception": 0},
    }
    assert globex["deadlines"]["met"] == 1
    initech = report["customers"][desk.escalation(FREEZE_ID).customer_id]
    freeze_wait = (
        int((freeze_open - freeze_approved).total_seconds()) + 5 * H
    )  # before opening, then the waiver
    assert initech["time_to_viable"]["total"]["median_s"] == freeze_wait
    assert initech["time_to_viable"]["human_wait"]["median_s"] == freeze_wait
    causes = initech["escalation_causes"]
    assert causes["escalated"] == 1
    assert {c for c, n in causes["by_cause"].items() if n} == set(request.causes)
