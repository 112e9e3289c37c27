"""The agent tools through the SDK's own client, in process, on every store: the list and its schemas and
annotations (no tool to confirm, approve, reject, waive or cancel), a plan, holds placed and capped, an
exception requested (a reason required), bad arguments and refusals answered as tool errors, and the audit
trail saying which agent acted on whose behalf."""

from __future__ import annotations

from typing import Any

import pytest
from mcp_types import CallToolResult

from mcp import Client
from readout.entrypoints.mcp import TOOLS
from readout.services.context import Deps
from tests.mcp.conftest import AGENT, in_process
from tests.services.flows import EM, FREEZE, FREEZE_ID, GLOBEX, GLOBEX_ID, LEAD, Desk

READ_ONLY = {"list_escalations", "get_escalation", "plan", "explain_slot", "slot_availability", "audit_trail"}
IDEMPOTENT = {"replan", "place_holds", "extend_holds", "release_holds"}


def _text(result: CallToolResult) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


def _call(deps: Deps, user: str, name: str, arguments: dict[str, Any], max_holds: int = 3) -> CallToolResult:
    async def body(client: Client) -> CallToolResult:
        return await client.call_tool(name, arguments)

    result: CallToolResult = in_process(deps, user, body, max_holds)
    return result


def test_the_tools_their_schemas_and_annotations(deps: Deps) -> None:
    async def body(client: Client) -> Any:
        return (await client.list_tools()).tools

    tools = {t.name: t for t in in_process(deps, AGENT, body)}
    assert set(tools) == set(TOOLS)
    forbidden = ("confirm", "approve", "reject", "waive", "cancel", "review")
    assert not [name for name in tools if any(word in name for word in forbidden)]
    for name, tool in tools.items():
        hints = tool.annotations
        assert hints is not None
        assert hints.read_only_hint is (name in READ_ONLY), name
        if name in READ_ONLY | IDEMPOTENT:
            assert hints.idempotent_hint is True, name
    assert tools["request_exception"].annotations.idempotent_hint is False  # type: ignore[union-attr]
    assert tools["release_holds"].annotations.destructive_hint is True  # type: ignore[union-attr]
    holds = tools["place_holds"].input_schema
    assert set(holds["required"]) == {"escalation_id", "starts"}
    assert holds["properties"]["starts"]["minItems"] == 1
    ask = tools["request_exception"].input_schema
    assert set(ask["required"]) == {"escalation_id", "reason"}
    assert ask["properties"]["reason"]["minLength"] == 1
    assert "ctx" not in tools["plan"].input_schema["properties"]


def test_a_plan_of_globex_in_utc_and_local_time(desk: Desk, deps: Deps) -> None:
    desk.open(GLOBEX)
    result = _call(deps, AGENT, "plan", {"escalation_id": GLOBEX_ID})
    assert not result.is_error
    data = result.structured_content
    assert data is not None
    assert data["plan"]["status"] == "ready"
    assert data["plan"]["compliant_count"] == 4
    first = data["candidates_local"][0]
    assert first["start"] == data["plan"]["candidates"][0]["start"]
    assert first["local"].endswith("Mexico City (18:00-19:00 UTC)")
    assert _text(result).startswith("ready: 4 compliant slot(s)")
    assert data["differs_from_stored"] is False
    # read-only: planning through the tool recorded nothing
    assert desk.kinds(GLOBEX_ID) == ["opened", "plan"]


def test_holds_are_placed_and_the_fourth_live_hold_is_refused(desk: Desk, deps: Deps) -> None:
    desk.open(GLOBEX)
    starts = [e.slot.start for e in desk.eligible(GLOBEX_ID)]
    text = [s.strftime("%Y-%m-%dT%H:%M:%SZ") for s in starts]
    placed = _call(deps, AGENT, "place_holds", {"escalation_id": GLOBEX_ID, "starts": text[:2]})
    assert not placed.is_error, _text(placed)
    assert placed.structured_content is not None
    assert len(placed.structured_content["placed"]) == 2
    again = _call(deps, AGENT, "place_holds", {"escalation_id": GLOBEX_ID, "starts": text[:3]})
    assert not again.is_error, _text(again)  # the two already held are not counted twice: 3 in all
    assert len(desk.live_holds(GLOBEX_ID)) == 3
    fourth = _call(deps, AGENT, "place_holds", {"escalation_id": GLOBEX_ID, "starts": [text[3]]})
    assert fourth.is_error
    assert "has 3 live hold(s) across escalations and may have at most 3 (READOUT_AGENT_MAX_HOLDS)" in _text(
        fourth
    )
    assert len(desk.live_holds(GLOBEX_ID)) == 3
    # a person is not capped by the agent's limit
    assert not _call(deps, EM, "place_holds", {"escalation_id": GLOBEX_ID, "starts": [text[3]]}).is_error
    assert len(desk.live_holds(GLOBEX_ID)) == 4
    # releasing frees room under the cap
    released = _call(deps, AGENT, "release_holds", {"escalation_id": GLOBEX_ID, "start": text[0]})
    assert not released.is_error, _text(released)
    assert len(desk.live_holds(GLOBEX_ID)) == 3


def test_an_exception_is_requested_with_a_reason_and_left_for_people(desk: Desk, deps: Deps) -> None:
    desk.open(GLOBEX)
    blank = _call(deps, AGENT, "request_exception", {"escalation_id": GLOBEX_ID, "reason": "   "})
    assert blank.is_error
    assert "reason" in _text(blank)
    missing = _call(deps, AGENT, "request_exception", {"escalation_id": GLOBEX_ID})
    assert missing.is_error
    assert "reason" in _text(missing)
    assert desk.requests(GLOBEX_ID) == []
    asked = _call(
        deps,
        AGENT,
        "request_exception",
        {"escalation_id": GLOBEX_ID, "reason": "the customer asked for December"},
    )
    assert not asked.is_error, _text(asked)
    assert "Nothing is decided" in _text(asked)
    assert "Lena Leadership" in _text(asked)
    [request] = desk.requests(GLOBEX_ID)
    assert (request.requested_by, request.reason) == (AGENT, "the customer asked for December")
    assert desk.escalation(GLOBEX_ID).state.value == "exception_requested"


def test_the_audit_trail_says_which_agent_acted_on_whose_behalf(desk: Desk, deps: Deps) -> None:
    desk.open(GLOBEX)
    start = desk.eligible(GLOBEX_ID)[0].slot.start.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert not _call(deps, AGENT, "place_holds", {"escalation_id": GLOBEX_ID, "starts": [start]}).is_error
    placed = [e for e in desk.audit(GLOBEX_ID) if e.kind == "hold_placed"]
    assert [(e.actor, e.payload["on_behalf_of"], e.payload["via"]) for e in placed] == [(AGENT, EM, "mcp")]
    trail = _call(deps, AGENT, "audit_trail", {"escalation_id": GLOBEX_ID})
    assert "hold_placed by planner-bot on behalf of dmitri" in _text(trail)
    assert trail.structured_content is not None
    assert trail.structured_content["entries"][0]["kind"] == "opened"
    assert trail.structured_content["entries"][0]["on_behalf_of"] is None  # a person opened it


@pytest.mark.parametrize(
    ("name", "arguments", "words"),
    [
        ("get_escalation", {"escalation_id": "ESC-0"}, "no escalation 'ESC-0'"),
        (
            "explain_slot",
            {"escalation_id": GLOBEX_ID, "start": "tomorrow at noon"},
            "start: expected ISO 8601",
        ),
        ("explain_slot", {"escalation_id": GLOBEX_ID, "start": "2026-11-17T18:00:00"}, "with an offset"),
        (
            "explain_slot",
            {"escalation_id": GLOBEX_ID, "start": "2026-11-17T18:07:00Z"},
            "not a candidate start",
        ),
        ("place_holds", {"escalation_id": GLOBEX_ID, "starts": []}, "starts"),
        (
            "place_holds",
            {"escalation_id": GLOBEX_ID, "starts": ["2026-11-16T03:00:00Z"]},
            "not an eligible slot",
        ),
        ("extend_holds", {"escalation_id": GLOBEX_ID}, "no live hold to extend"),
        ("audit_trail", {"escalation_id": GLOBEX_ID, "last": 0}, "last"),
        ("plan", {}, "escalation_id"),
    ],
)
def test_bad_arguments_and_refusals_are_tool_errors(
    desk: Desk, deps: Deps, name: str, arguments: dict[str, Any], words: str
) -> None:
    desk.open(GLOBEX)
    result = _call(deps, AGENT, name, arguments)
    assert result.is_error
    assert words in _text(result)
    assert "Traceback" not in _text(result)


def test_explain_and_availability_of_a_near_miss(desk: Desk, deps: Deps) -> None:
    opened = desk.open(FREEZE)
    assert opened.request is not None
    near = opened.request.options[0]
    start = near.slot.start.strftime("%Y-%m-%dT%H:%M:%SZ")
    explained = _call(deps, AGENT, "explain_slot", {"escalation_id": FREEZE_ID, "start": start})
    assert not explained.is_error, _text(explained)
    data = explained.structured_content
    assert data is not None
    assert (data["kind"], data["broken"]) == ("near-miss", list(near.waivers))
    assert data["waivable_by"] == {"COVERAGE": "duty manager"}
    assert "Berlin" in data["slot"]["local"]
    free = _call(deps, AGENT, "slot_availability", {"escalation_id": FREEZE_ID, "start": start})
    assert free.structured_content is not None
    roles = {r["role"]: r["status"] for r in free.structured_content["roles"]}
    assert set(roles) == {
        "escalation_manager",
        "fix_owner",
        "customer_success_director",
        "customer_incident_manager",
    }
    assert set(roles.values()) <= {"free", "busy", "unknown"}
    assert roles["escalation_manager"] == "free"  # a near miss for coverage only: Dana can come
    whys = {r["role"]: r["why"] for r in free.structured_content["roles"]}
    assert roles["fix_owner"] == "unknown"  # Initech's fix owner has no calendar Readout reads
    assert whys["fix_owner"] == "no calendar to read: planned as free, not verified"
    assert "Ravi Kumar (fix_owner, 16:30-17:30 Kolkata) unknown" in _text(free)


def test_a_person_uses_the_same_tools_under_their_own_roles(desk: Desk, deps: Deps) -> None:
    desk.open(GLOBEX)
    start = desk.eligible(GLOBEX_ID)[0].slot.start.strftime("%Y-%m-%dT%H:%M:%SZ")
    refused = _call(deps, LEAD, "place_holds", {"escalation_id": GLOBEX_ID, "starts": [start]})
    assert refused.is_error
    assert "Lena Leadership (support_leadership) may not hold" in _text(refused)
    listed = _call(deps, LEAD, "list_escalations", {})
    assert "ESC-48213 (Globex Financial): planned" in _text(listed)


def test_an_agent_whose_principal_lost_the_role_is_refused(desk: Desk, deps: Deps) -> None:
    from dataclasses import replace

    desk.open(GLOBEX)
    with deps.uow() as uow:  # changed behind the import's back: the surface checks on every call
        dmitri = uow.users.get(EM)
        assert dmitri is not None
        uow.users.put(replace(dmitri, roles=frozenset()))
        uow.commit()
    result = _call(deps, AGENT, "get_escalation", {"escalation_id": GLOBEX_ID})
    assert result.is_error
    assert "not (or no longer) a person holding a coordinator role" in _text(result)
