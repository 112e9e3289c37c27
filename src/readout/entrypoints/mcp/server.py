"""The agent tool surface: an ``MCPServer`` over the same services and gates as the CLI and the API.

Read-only tools (``readOnlyHint``): ``list_escalations``, ``get_escalation``, ``plan`` (a fresh plan of the
stored case, not recorded), ``explain_slot``, ``slot_availability``, ``audit_trail``. Tools that change
something, each safe to repeat (``idempotentHint``): ``replan`` (plan again and record it), ``place_holds``,
``extend_holds``, ``release_holds``; and ``request_exception`` (a reason is required). There is no tool to
review, confirm, approve, reject, waive or cancel, and that is not the guard: the services refuse an agent
all of those whatever a server registers (``readout.domain.users.may``).

Every call acts as the caller the transport names (``Caller``: ``--as`` over stdio, the token's user over
HTTP), read again from the store; it records ``via: mcp`` and, for an agent, ``on_behalf_of`` its person.
A refusal, an unknown escalation or a bad argument comes back as a tool error (``isError``) in the
service's words, never as a crash.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import numpy as np
from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field

from readout.adapters.plan_json import plan_to_json
from readout.domain.intervals import utc_text
from readout.domain.lifecycle import IllegalTransition, next_commands
from readout.domain.names import WAIVER_AUTHORITY, attendee_family
from readout.domain.users import Permission, may, refusal
from readout.entrypoints.mcp import views
from readout.entrypoints.mcp.acting import MCP_SCOPE, Acting, Caller, acting, agent_live_holds, resolve
from readout.errors import PermissionDenied, ReadoutError, Refused
from readout.presentation import times
from readout.presentation.grid import column_kind, why_text
from readout.services import availability as availability_service
from readout.services import escalations, exceptions, holding, queries
from readout.services.context import Deps
from readout.services.queries import zones_of_case
from readout.services.views import effect_sentence

__all__ = ["TOOLS", "build_server"]

READ_ONLY = ToolAnnotations(
    read_only_hint=True, idempotent_hint=True, destructive_hint=False, open_world_hint=False
)
CHANGES = ToolAnnotations(
    read_only_hint=False, idempotent_hint=True, destructive_hint=False, open_world_hint=False
)
RELEASES = ToolAnnotations(
    read_only_hint=False, idempotent_hint=True, destructive_hint=True, open_world_hint=False
)
ASKS = ToolAnnotations(
    read_only_hint=False, idempotent_hint=False, destructive_hint=False, open_world_hint=False
)
TOOLS = (
    "list_escalations",
    "get_escalation",
    "plan",
    "explain_slot",
    "slot_availability",
    "audit_trail",
    "replan",
    "place_holds",
    "extend_holds",
    "release_holds",
    "request_exception",
)

EscalationId = Annotated[
    str, Field(min_length=1, max_length=200, description="the escalation id, e.g. ESC-51007")
]
Start = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description="a slot's start, ISO 8601 with an offset, e.g. 2026-11-24T14:00:00Z (as plan lists it)",
    ),
]
_INSTRUCTIONS = (
    "Readout plans contractual RCA readout meetings. You may read escalations, plan, explain slots, place, "
    "extend and release short-lived tentative holds, and request an exception with a reason. Reviewing, "
    "confirming, approving, rejecting, waiving and cancelling are a named person's decisions: Readout "
    "refuses them to an agent. Every result names who must act next. Times are given in UTC and in the "
    "contract zone's local time."
)


_HELD_NEXT = "a coordinator (a person) reviews and confirms one held slot; holds expire if nobody does"


def _start(text: str) -> datetime:
    """A start the caller gave; Refused naming the argument and the form expected."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise Refused(
            f"start: expected ISO 8601 with an offset such as 2026-11-24T14:00:00Z, not {text[:64]!r}"
        )
    return value.astimezone(UTC)


def _result(summary: str, data: dict[str, Any]) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=summary)], structured_content=data)


# The workflow's commands an agent has a tool for; the others are a person's.
_AGENT_TOOLS = {"plan": "replan", "hold": "place_holds", "request-exception": "request_exception"}


def _not_now(refused: IllegalTransition) -> str:
    """An illegal move in an agent's words: the state, the tools that act in it, the steps left to people."""
    verbs = [c.removeprefix("readout ") for c in next_commands(refused.state)]
    tools = [_AGENT_TOOLS[v] for v in verbs if v in _AGENT_TOOLS]
    people = [v for v in verbs if v not in _AGENT_TOOLS]
    words = f"not possible while the escalation is {refused.state.value}"
    if not verbs:
        return f"{words} (final: nothing more happens to it)"
    words += f"; tools that act now: {', '.join(tools) if tools else 'none'}"
    if people:
        words += f"; left to a person: {', '.join(people)}"
    return words


class _Tools:
    """The tools over one ``Deps``, each acting as the caller ``caller_of`` names for its request."""

    def __init__(self, deps: Deps, caller_of: Callable[[Context], Caller], max_holds: int) -> None:
        self.deps, self.caller_of, self.max_holds = deps, caller_of, max_holds
        # One agent's check-and-place runs one at a time in this process, so that two calls cannot both pass
        # the cap (several server processes could still race: docs/agents.md).
        self._holding: dict[str, threading.Lock] = {}
        self._holding_guard = threading.Lock()

    @contextmanager
    def _call(self, ctx: Context, permission: Permission | None = None) -> Iterator[Acting]:
        """Resolve the caller, refuse early what the gates would refuse, record ``via: mcp`` and
        ``on_behalf_of``, and turn Readout's refusals into tool errors in the service's words."""
        try:
            caller = self.caller_of(ctx)
            if caller.scopes is not None and MCP_SCOPE not in caller.scopes:  # every tool, not only the door
                raise PermissionDenied(
                    f"this token does not carry the scope {MCP_SCOPE!r} the agent tools need"
                )
            who = resolve(self.deps, caller)
            if permission is not None and not may(who.user, permission):
                raise Refused(refusal(who.user, permission))
            with acting(who, caller):
                yield who
        except IllegalTransition as exc:  # worded for an agent: its tools, and what is left to people
            raise ToolError(_not_now(exc)) from None
        except ReadoutError as exc:
            raise ToolError(str(exc)) from None

    def _zone(self, escalation_id: str) -> str:
        zones = queries.case_zones(self.deps, escalation_id)
        return zones.contract if zones else "UTC"

    # Read-only

    def list_escalations(self, ctx: Context) -> CallToolResult:
        """Every escalation with its state and contractual deadline (UTC and the contract zone's local
        time)."""
        with self._call(ctx):
            listing = queries.escalation_listing(self.deps)
            rows = []
            for item in listing:
                esc, zone = item.escalation, item.zones.contract if item.zones else "UTC"
                rows.append(
                    {
                        "id": esc.id,
                        "customer": item.zones.customer_name if item.zones else esc.customer_id,
                        "state": esc.state.value,
                        "deadline": views.moment(esc.deadline, zone),
                        "deadline_text": times.deadline(esc.deadline, zone) if esc.deadline else None,
                    }
                )
            lines = [
                f"{r['id']} ({r['customer']}): {r['state']}, due {r['deadline_text'] or 'not set'}"
                for r in rows
            ]
            summary = f"{len(rows)} escalation(s)" + (": " + "; ".join(lines) if lines else "")
            return _result(summary, {"escalations": rows})

    def get_escalation(self, escalation_id: EscalationId, ctx: Context) -> CallToolResult:
        """One escalation: state, deadline, the stored plan's summary, live holds, exception requests and
        waivers, and who must act next."""
        with self._call(ctx):
            status = queries.escalation_status(self.deps, escalation_id)
            esc, zone = status.escalation, status.zones.contract if status.zones else "UTC"
            now = self.deps.clock()
            live = [h for h in status.holds if h.is_live(now)]
            request = views.open_request(status.requests)
            data = {
                "id": esc.id,
                "customer": status.zones.customer_name if status.zones else esc.customer_id,
                "state": esc.state.value,
                "contract_zone": zone,
                "deadline": views.moment(esc.deadline, zone),
                "plan": views.plan_summary(status.plan, zone) if status.plan else None,
                "live_holds": [views.hold_line(h, zone) for h in live],
                "exception_requests": [views.request_line(r, zone) for r in status.requests],
                "waivers": [
                    {
                        **views.slot_view(w.slot.start, w.slot.end, zone),
                        "family": w.family,
                        "by": w.approved_by,
                    }
                    for w in status.waivers
                ],
                "deciders": views.deciders_view(status.deciders),
                "next": _next_step(esc.state.value, request is not None, status.deciders, len(live)),
            }
            deadline = times.deadline(esc.deadline, zone) if esc.deadline else "not set"
            summary = (
                f"{esc.id}: {esc.state.value}, due {deadline}; {len(live)} live hold(s). Next: {data['next']}"
            )
            return _result(summary, data)

    def plan(self, escalation_id: EscalationId, ctx: Context) -> CallToolResult:
        """A fresh plan of the stored case with the calendars read now, without recording it (``replan``
        records one): the plan JSON, and whether it differs from the stored plan."""
        with self._call(ctx):
            found = availability_service.availability(self.deps, escalation_id)
            zone = zones_of_case(found.planned.case).contract
            plan = found.plan
            data = {
                "plan": plan_to_json(plan, 10),
                "as_of": views.moment(found.planned.now, zone),
                "contract_zone": zone,
                "candidates_local": [views.slot_view(c.start, c.end, zone) for c in plan.candidates[:10]],
                "near_misses_local": [
                    {**views.slot_view(n.start, n.end, zone), "waivers": list(n.waivers)}
                    for n in plan.near_misses[:10]
                ],
                "differs_from_stored": found.stale,
            }
            summary = views.plan_summary(plan, zone)
            if found.stale:
                summary += " (differs from the stored plan: call replan before holding)"
            return _result(summary, data)

    def _grid_point(self, escalation_id: str, start: datetime) -> tuple[Any, int, str]:
        found = availability_service.availability(self.deps, escalation_id)
        zone = zones_of_case(found.planned.case).contract
        if found.grid is None:
            raise Refused(f"{escalation_id} has no slots to look at: {views.plan_summary(found.plan, zone)}")
        micros = int((start - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(microseconds=1))
        hits = np.nonzero(found.grid.starts == micros)[0]
        if len(hits) == 0:
            first, deadline = found.plan.earliest_start, found.plan.deadline
            raise Refused(
                f"start: {times.instant(start, zone)} is not a candidate start of {escalation_id} (starts "
                f"run on the planning grid from {times.instant(first, zone) if first else '?'} to "
                f"{times.instant(deadline, zone) if deadline else '?'}; take one from plan)"
            )
        return found, int(hits[0]), zone

    def explain_slot(self, escalation_id: EscalationId, start: Start, ctx: Context) -> CallToolResult:
        """Why a start is compliant, a near miss (which waivers it needs and who may grant them) or blocked
        (which rules it breaks)."""
        with self._call(ctx):
            at = _start(start)
            found, i, zone = self._grid_point(escalation_id, at)
            case = found.planned.case
            broken = sorted(f for f, mask in found.grid.masks.items() if bool(mask[i]))
            kind = column_kind(
                at, {c.start for c in found.plan.candidates}, {n.start for n in found.plan.near_misses}
            )
            names = {role: a.name for role, a in zones_of_case(case).roles.items()}
            why = why_text(kind, broken, names, case.readout.language)
            end = at + case.readout.duration
            data = {
                "slot": views.slot_view(at, end, zone),
                "kind": kind.value,
                "compliant": not broken,
                "broken": broken,
                "waivable_by": {f: WAIVER_AUTHORITY[f] for f in broken if f in WAIVER_AUTHORITY},
                "why": why,
            }
            return _result(f"{times.slot(at, end, zone)}: {why}", data)

    def slot_availability(self, escalation_id: EscalationId, start: Start, ctx: Context) -> CallToolResult:
        """For one start, each required role's status: free, busy (busy or outside their hours) or unknown
        (no calendar, or the calendar could not be read), with the slot in the person's own local time."""
        with self._call(ctx):
            at = _start(start)
            found, i, zone = self._grid_point(escalation_id, at)
            case, plan = found.planned.case, found.plan
            end = at + case.readout.duration
            unreadable = {u.id for u in plan.unknown} | {u.role for u in plan.unknown}
            unverified = {u.id for u in plan.unverified} | {u.role for u in plan.unverified}
            roles = []
            for role, person_id in case.roles.items():
                person = case.people.get(person_id or "")
                if person is None:
                    continue
                mask = found.grid.masks.get(attendee_family(role))
                why = None
                if role in unreadable or person.id in unreadable:
                    state, why = "unknown", "their calendar could not be read: planned as unavailable"
                elif mask is not None and bool(mask[i]):
                    state, why = "busy", "busy, or outside their available hours"
                elif role in unverified or person.id in unverified:
                    state, why = "unknown", "no calendar to read: planned as free, not verified"
                else:
                    state = "free"
                roles.append(
                    {
                        "role": role,
                        "name": person.name,
                        "status": state,
                        "why": why,
                        "local": times.person_span(at, end, person.zone.key, zone),
                    }
                )
            listed = "; ".join(f"{r['name']} ({r['role']}, {r['local']}) {r['status']}" for r in roles)
            return _result(
                f"{times.slot(at, end, zone)}: {listed}",
                {"slot": views.slot_view(at, end, zone), "roles": roles},
            )

    def audit_trail(
        self,
        escalation_id: EscalationId,
        ctx: Context,
        last: Annotated[int, Field(ge=1, le=500, description="how many of the newest entries")] = 50,
    ) -> CallToolResult:
        """The escalation's audit trail, newest last: who did what when, over which channel, and for an
        agent on whose behalf."""
        with self._call(ctx):
            zone = self._zone(escalation_id)
            entries = queries.audit_trail(self.deps, escalation_id)[-last:]
            lines = [views.audit_line(e, zone) for e in entries]
            said = "; ".join(
                f"#{e['seq']} {e['kind']} by {e['actor']}"
                + (f" on behalf of {e['on_behalf_of']}" if e["on_behalf_of"] else "")
                for e in lines[-5:]
            )
            return _result(f"{len(lines)} entries; newest: {said}", {"entries": lines})

    # Changes, each safe to repeat

    def replan(self, escalation_id: EscalationId, ctx: Context) -> CallToolResult:
        """Read the calendars again and record a new plan of the stored case (what holds are taken from). A
        plan without an eligible slot opens an exception request for people to decide."""
        with self._call(ctx, Permission.OPEN_AND_PLAN) as who:
            outcome = escalations.plan_escalation(
                self.deps, escalation_id, who.user.id, "re-plan requested (mcp)"
            )
            zone = zones_of_case(outcome.planned.case).contract
            plan = outcome.planned.plan
            data = {
                "plan": plan_to_json(plan, 10),
                "state": outcome.escalation.state.value,
                "candidates_local": [views.slot_view(c.start, c.end, zone) for c in plan.candidates[:10]],
                "exception_request": views.request_line(outcome.request, zone) if outcome.request else None,
            }
            summary = f"Recorded a new plan of {escalation_id}: {views.plan_summary(plan, zone)}."
            if outcome.request is not None:
                summary += f" Exception request {outcome.request.id} opened: a person must decide it."
            return _result(summary, data)

    def _one_at_a_time(self, user_id: str) -> threading.Lock:
        with self._holding_guard:
            return self._holding.setdefault(user_id, threading.Lock())

    def place_holds(
        self,
        escalation_id: EscalationId,
        starts: Annotated[
            list[Start], Field(min_length=1, max_length=10, description="eligible starts to hold (from plan)")
        ],
        ctx: Context,
    ) -> CallToolResult:
        """Place short-lived tentative holds on eligible slots of the stored plan (a slot already held stays
        one hold). An agent may have at most READOUT_AGENT_MAX_HOLDS live holds across escalations."""
        with self._call(ctx, Permission.HOLD) as who, self._one_at_a_time(who.user.id):
            wanted = list(dict.fromkeys(_start(s) for s in starts))
            zone = self._zone(escalation_id)
            if who.user.is_agent:
                mine = agent_live_holds(self.deps, who.user.id)
                new = [s for s in wanted if (escalation_id, utc_text(s)) not in set(mine)]
                if len(mine) + len(new) > self.max_holds:
                    raise Refused(
                        f"{who.user.name} has {len(mine)} live hold(s) across escalations and may have at "
                        f"most {self.max_holds} (READOUT_AGENT_MAX_HOLDS): release one or ask "
                        f"{who.principal.name if who.principal else 'a coordinator'} to hold"
                    )
            placed, problems, effects, outcome = [], [], [], None
            for start in wanted:
                outcome = holding.hold_slots(self.deps, escalation_id, who.user.id, start)
                placed += list(outcome.placed)
                effects += [effect_sentence(e) for e in outcome.effects]
                if outcome.problem:
                    problems.append(outcome.problem)
                    break
            assert outcome is not None
            data = {
                "placed": [views.hold_line(h, zone) for h in placed],
                "live": [views.hold_line(h, zone) for h in outcome.live],
                "effects": effects,
                "problems": problems,
                "state": outcome.escalation.state.value,
                "next": _HELD_NEXT,
            }
            summary = (
                f"Recorded {len(placed)} new hold(s) on {escalation_id} ({len(outcome.live)} live); calendar "
                f"writes are carried out after the record. {'; '.join(problems)} Next: {data['next']}."
            )
            return _result(summary.replace("  ", " "), data)

    def extend_holds(
        self,
        escalation_id: EscalationId,
        ctx: Context,
        hours: Annotated[
            float | None, Field(gt=0, le=168, description="new lifetime from now (default: the case's ttl)")
        ] = None,
    ) -> CallToolResult:
        """Push every live hold's expiry to now plus ``hours`` (default: the case's hold lifetime)."""
        with self._call(ctx, Permission.HOLD) as who:
            ttl = timedelta(hours=hours) if hours is not None else None
            outcome = holding.extend_holds(self.deps, escalation_id, who.user.id, ttl)
            zone = self._zone(escalation_id)
            live = [views.hold_line(h, zone) for h in outcome.live]
            until = ", ".join(h["expires_at"]["local"] for h in live)
            return _result(
                f"Extended {len(live)} live hold(s) on {escalation_id} until {until}.", {"live": live}
            )

    def release_holds(
        self,
        escalation_id: EscalationId,
        ctx: Context,
        start: Annotated[str | None, Field(max_length=64, description="only the hold at this start")] = None,
    ) -> CallToolResult:
        """Release live holds (all, or the one at ``start``); releasing nothing is not an error."""
        with self._call(ctx, Permission.HOLD) as who:
            at = _start(start) if start else None
            outcome = holding.release_holds(
                self.deps, escalation_id, who.user.id, at, "released by an agent (mcp)"
            )
            zone = self._zone(escalation_id)
            effects = [effect_sentence(e) for e in outcome.effects]
            data = {"live": [views.hold_line(h, zone) for h in outcome.live], "effects": effects}
            return _result(f"Released; {len(outcome.live)} live hold(s) left on {escalation_id}.", data)

    def request_exception(
        self,
        escalation_id: EscalationId,
        reason: Annotated[
            str, Field(min_length=1, max_length=2000, description="why an exception is needed")
        ],
        ctx: Context,
    ) -> CallToolResult:
        """Ask support leadership to decide (with the stored plan's causes and nearest options). Only recorded
        here: a person decides it; an agent never approves, rejects or waives."""
        with self._call(ctx, Permission.REQUEST_EXCEPTION) as who:
            if not reason.strip():
                raise Refused("reason: an exception request needs a reason (some words, not only spaces)")
            outcome = exceptions.request_exception(self.deps, escalation_id, who.user.id, reason.strip())
            zone = self._zone(escalation_id)
            deciders = queries.deciders(self.deps, escalation_id)
            request = outcome.request
            data = {
                "request": views.request_line(request, zone) if request else None,
                "state": outcome.escalation.state.value,
                "deciders": views.deciders_view(deciders),
            }
            names = ", ".join(name for g in deciders for _, name in g.users) or "support leadership"
            summary = (
                f"Recorded exception request {request.id if request else '?'} on {escalation_id} "
                f"({who.words}). Nothing is decided: {names} must approve or reject it."
            )
            return _result(summary, data)


def _next_step(state: str, open_request: bool, deciders: Any, live: int) -> str:
    """Who must act next, in a sentence."""
    if open_request:
        names = ", ".join(name for g in deciders for _, name in g.users) or "support leadership"
        return f"an exception request is open: {names} must decide it (a person, never an agent)"
    steps: Mapping[str, str] = {
        "opened": "plan it (replan)",
        "planned": "hold eligible slots (place_holds), or replan when inputs changed",
        "held": "a coordinator (a person) reviews and confirms one held slot"
        + ("" if live else "; no hold is live: hold again"),
        "awaiting_confirmation": "the coordinator who reviewed confirms (a person)",
        "exception_approved": "replan with the approved exception, then hold",
        "exception_rejected": "replan when inputs change, or request another exception with a reason",
        "escalated": "support leadership (a person) decides",
        "confirmed": "nothing: the readout is confirmed",
        "cancelled": "nothing: the escalation is cancelled",
    }
    return steps.get(state, "see get_escalation's plan and requests")


def build_server(
    deps: Deps, caller_of: Callable[[Context], Caller], max_holds: int, name: str = "readout"
) -> MCPServer:
    """An ``MCPServer`` whose tools act on ``deps`` as the caller ``caller_of`` names for each call."""
    tools = _Tools(deps, caller_of, max_holds)
    server = MCPServer(name, instructions=_INSTRUCTIONS)
    for tool, hints in (
        (tools.list_escalations, READ_ONLY),
        (tools.get_escalation, READ_ONLY),
        (tools.plan, READ_ONLY),
        (tools.explain_slot, READ_ONLY),
        (tools.slot_availability, READ_ONLY),
        (tools.audit_trail, READ_ONLY),
        (tools.replan, CHANGES),
        (tools.place_holds, CHANGES),
        (tools.extend_holds, CHANGES),
        (tools.release_holds, RELEASES),
        (tools.request_exception, ASKS),
    ):
        server.add_tool(tool, annotations=hints)
    return server
