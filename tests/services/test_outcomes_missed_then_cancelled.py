"""A readout cancelled because its deadline passed unconfirmed missed the deadline: the report counts it as
missed (``missed_then_cancelled``), not as a readout that was merely no longer needed. One cancelled before
its deadline stays "cancelled"."""

from __future__ import annotations

import dataclasses

from readout.domain.lifecycle import State
from readout.services.context import Deps
from readout.services.outcomes import measure
from tests.services.flows import Clock
from tests.services.outcome_store import AS_OF, _escalation, _write, _Writer, at, measured_by_sql
from tests.support.db_fixtures import Store


def _given_up(w: _Writer) -> None:
    w.entry(at(2, 1), "opened", customer="acme")
    w.entry(at(2, 1), "plan", status="needs_exception")
    w.entry(at(9, 0), "cancel", reason="the contractual deadline passed without a confirmed readout")
    w.esc.state = State.CANCELLED


def _withdrawn(w: _Writer) -> None:
    w.entry(at(3, 1), "opened", customer="acme")
    w.entry(at(3, 1), "plan", status="ready")
    w.entry(at(4, 0), "cancel", reason="customer withdrew")
    w.esc.state = State.CANCELLED


def test_a_readout_cancelled_after_its_deadline_counts_as_missed(
    deps: Deps, store_uow: Store, clock: Clock
) -> None:
    with store_uow() as uow:
        _write(uow, _escalation("ESC-G", "acme", at(2, 0), at(8, 12)), _given_up)
        _write(uow, _escalation("ESC-H", "acme", at(3, 0), at(9, 12)), _withdrawn)
        uow.commit()
    clock.set(AS_OF)

    for store in (store_uow, measured_by_sql(store_uow)):  # the ports' reading and SQL agree
        deadlines = measure(dataclasses.replace(deps, uow=store, view=None)).to_json()["overall"]["deadlines"]
        assert deadlines == {
            "met": 0,
            "missed": 1,
            "missed_confirmed_late": 0,
            "missed_still_open": 0,
            "missed_then_cancelled": 1,  # ESC-G
            "pending": 0,
            "cancelled": 1,  # ESC-H, before its deadline
        }
