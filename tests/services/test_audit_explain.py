"""``audit explain``: from the log alone, each plan's answer about a start agrees with the plan itself, for
every start the plan searched (Globex: ready; Initech: a CAB freeze, only near misses)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from readout.adapters.plan_json import parse_utc
from readout.domain.audit import STARTS, Verdict, explain_start
from readout.domain.names import WAIVABLE
from readout.services.exceptions import approve
from readout.services.holding import hold_slots
from readout.services.queries import explain_slot
from tests.services.flows import DUTY, EM, FREEZE, FREEZE_ID, GLOBEX, GLOBEX_ID, Desk, u


def _considered(entry_payload: dict[str, object]) -> list[datetime]:
    starts = entry_payload[STARTS]
    assert isinstance(starts, dict)
    step = timedelta(minutes=starts["granularity_minutes"])
    out: list[datetime] = []
    for first, count in starts["considered"]:
        out += [parse_utc(first) + k * step for k in range(count)]
    return out


@pytest.mark.parametrize(("name", "escalation_id"), [(GLOBEX, GLOBEX_ID), (FREEZE, FREEZE_ID)])
def test_explain_agrees_with_the_plan_for_every_start(desk: Desk, name: str, escalation_id: str) -> None:
    desk.open(name)
    plan = desk.plan(escalation_id)
    assert plan is not None
    entries = desk.audit(escalation_id)
    plan_entry = [e for e in entries if e.kind == "plan"][-1]
    considered = _considered(plan_entry.payload)
    assert len(considered) == plan["slots_considered"] > 0

    candidates = [parse_utc(c["start"]) for c in plan["candidates"]]
    near = {parse_utc(n["start"]): tuple(n["waivers"]) for n in plan["near_misses"]}
    per_family: dict[str, int] = {}
    seen_candidates, seen_near = [], {}
    for start in considered:
        answer = explain_start(entries, start).plans[-1]
        assert answer.seq == plan_entry.seq
        for family in answer.families:
            per_family[family] = per_family.get(family, 0) + 1
        if answer.verdict is Verdict.CANDIDATE:
            seen_candidates.append(start)
            if start in candidates[:10]:
                assert answer.rank == candidates.index(start) + 1
        elif answer.verdict is Verdict.NEAR_MISS:
            assert set(answer.families) <= WAIVABLE
            seen_near[start] = answer.families
        else:
            assert answer.verdict is Verdict.REJECTED
            assert set(answer.families) - WAIVABLE
    assert sorted(seen_candidates) == sorted(candidates)
    assert seen_near == near
    assert per_family == plan["violations"]
    # A start off the grid (not on the granularity) was never considered.
    odd = considered[0] + timedelta(minutes=7)
    assert explain_start(entries, odd).plans[-1].verdict is Verdict.NOT_CONSIDERED


def test_explain_names_holds_and_the_approved_exception_with_who_and_why(desk: Desk) -> None:
    desk.open(FREEZE)
    slot = u(2026, 11, 24, 11)
    approve(desk.deps, FREEZE_ID, DUTY, slot, "customer board asked for this week")
    hold_slots(desk.deps, FREEZE_ID, EM)

    found = explain_slot(desk.deps, FREEZE_ID, slot)

    assert [a.verdict for a in found.plans] == [Verdict.NEAR_MISS]
    assert found.plans[0].families == ("COVERAGE",)
    kinds = [e.kind for e in found.exceptions]
    assert kinds[0] == "request_exception"
    waiver = next(e for e in found.exceptions if e.kind == "waiver_recorded")
    assert (waiver.actor, waiver.family, waiver.reason) == (
        DUTY,
        "COVERAGE",
        "customer board asked for this week",
    )
    assert "approve_exception" in kinds
    assert [e.kind for e in found.holds][:1] == ["hold_placed"]


def test_a_plan_entry_from_before_this_version_answers_not_recorded(desk: Desk) -> None:
    desk.open(GLOBEX)
    entries = desk.audit(GLOBEX_ID)
    old = [
        dataclasses.replace(e, payload={k: v for k, v in e.payload.items() if k != STARTS}) for e in entries
    ]
    start = parse_utc(desk.plan(GLOBEX_ID)["candidates"][0]["start"])  # type: ignore[index]

    assert explain_start(old, start).plans[-1].verdict is Verdict.NOT_RECORDED
    assert explain_start(entries, start).plans[-1].verdict is Verdict.CANDIDATE
    assert explain_start(entries, start.astimezone(UTC)).plans[-1].rank == 1
