"""The readouts board (``/``, the home page after sign-in): every escalation with its customer, state, the
deadline in the contract zone and the time left, the number of compliant slots, live holds and their expiry,
and the next action with who must take it. Filters: state, customer, "waiting on me"; deadlines at risk
stand out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from readout.domain.effects import EffectStatus
from readout.domain.exception_requests import Decision
from readout.domain.holds import HoldStatus
from readout.domain.lifecycle import State
from readout.domain.plan import PlanStatus
from readout.domain.users import Role, User
from readout.entrypoints.http.auth import request_deps
from readout.entrypoints.web.signin import Viewer
from readout.entrypoints.web.templating import page
from readout.services import queries

__all__ = ["NextStep", "Row", "next_step", "router"]

router = APIRouter(include_in_schema=False)

AT_RISK = timedelta(
    hours=48
)  # an open readout whose deadline is this close, with no confirmation, stands out
_COORDINATORS = frozenset({Role.PROGRAM_MANAGER, Role.ESCALATION_MANAGER})
_FINAL = (State.CONFIRMED, State.CANCELLED)


def role_name(role: Role | str) -> str:
    """A role as people say it ("duty manager")."""
    return (role.value if isinstance(role, Role) else role).replace("_", " ")


@dataclass(frozen=True)
class NextStep:
    """What must happen next and who must do it; ``roles``: the roles that may (for "waiting on me")."""

    who: str
    what: str
    since: datetime | None = None
    roles: frozenset[Role] = frozenset()
    users: frozenset[str] = frozenset()  # named users who may (empty: anyone with one of ``roles``)

    def waits_on(self, user: User) -> bool:
        if self.users:
            return user.id in self.users
        return bool(self.roles & user.roles)


def next_step(status: queries.Status) -> NextStep:
    """The next action of an escalation and who must take it, from its stored state (no calendar read)."""
    esc, plan = status.escalation, status.plan
    coordinators = "Program manager or escalation manager"
    if esc.state is State.CONFIRMED:
        sent = {True: "invitation sent", False: "no invitation was sent", None: ""}[status.invited]
        return NextStep("Nobody", f"confirmed{'; ' + sent if sent else ''}")
    if esc.state is State.CANCELLED:
        return NextStep("Nobody", "cancelled")
    open_requests = [r for r in status.requests if r.decision is Decision.OPEN]
    if esc.state in (State.EXCEPTION_REQUESTED, State.ESCALATED) and open_requests:
        request = open_requests[-1]
        names = [name for group in status.deciders for _, name in group.users]
        roles = frozenset(
            Role(r) for group in status.deciders for r in group.roles if r in Role._value2member_map_
        )
        families = ", ".join(
            sorted({g.family.lower().replace("_", " ") for g in status.deciders if g.family})
        )
        who_roles = ", ".join(sorted({role_name(r) for r in roles})) or "support leadership"
        who = f"{', '.join(names)} ({who_roles})" if names else who_roles.capitalize()
        what = f"{families + ' ' if families else ''}waiver requested".strip()
        if esc.state is State.ESCALATED:
            what = f"escalated to support leadership: {what}"
        users = frozenset(uid for group in status.deciders for uid, _ in group.users)
        return NextStep(who, what, request.requested_at, roles, users)
    if esc.state is State.OPENED:
        reason = plan.not_ready[0] if plan and plan.not_ready else "not planned yet"
        return NextStep(coordinators, f"not ready: {reason}", esc.opened_at, _COORDINATORS)
    if esc.state is State.EXCEPTION_REJECTED:
        return NextStep(
            "Support leadership",
            "exception rejected: escalate or change the case",
            None,
            frozenset({Role.SUPPORT_LEADERSHIP}),
        )
    if esc.state is State.AWAITING_CONFIRMATION:
        return NextStep(coordinators, "confirm the reviewed invite packet", None, _COORDINATORS)
    if esc.state is State.HELD:
        return NextStep(coordinators, "review a held slot", None, _COORDINATORS)
    if esc.state is State.EXCEPTION_APPROVED:
        return NextStep(coordinators, "hold the approved slot", None, _COORDINATORS)
    if plan is not None and plan.status is PlanStatus.NEEDS_EXCEPTION:
        return NextStep(coordinators, "no compliant slot: request an exception", None, _COORDINATORS)
    return NextStep(coordinators, "place holds on the best slots", None, _COORDINATORS)


@dataclass(frozen=True)
class Row:
    """One escalation on the board."""

    status: queries.Status
    contract_zone: str
    compliant: int | None  # None: not planned
    live_holds: tuple[tuple[datetime, datetime, datetime], ...]  # (start, end, expires)
    step: NextStep
    at_risk: bool
    dead_letters: int = 0  # effects given up (failed) or uncertain: a person must act

    @property
    def id(self) -> str:
        return self.status.escalation.id

    @property
    def customer(self) -> str:
        return _customer(self.status)


def _row(status: queries.Status, now: datetime) -> Row:
    esc, plan = status.escalation, status.plan
    zone = status.zones.contract if status.zones else "UTC"
    live = tuple(
        (h.slot.start, h.slot.end, h.expires_at)
        for h in status.holds
        if h.status is HoldStatus.LIVE and h.expires_at > now
    )
    compliant = (
        len(plan.candidates)
        if plan is not None and plan.status is PlanStatus.READY
        else (0 if plan is not None else None)
    )
    open_readout = esc.state not in _FINAL
    at_risk = open_readout and esc.deadline is not None and (esc.deadline - now < AT_RISK or compliant == 0)
    dead = sum(1 for e in status.effects if e.status in (EffectStatus.FAILED, EffectStatus.UNCERTAIN))
    return Row(status, zone, compliant, live, next_step(status), at_risk, dead)


def _customer(status: queries.Status) -> str:
    """The customer as people name it: the case's customer name, else its id."""
    return (status.zones.customer_name if status.zones else "") or status.escalation.customer_id


@router.get("/", response_class=HTMLResponse)
def readouts_board(
    request: Request,
    who: Viewer,
    state: Annotated[str, Query(max_length=40)] = "",
    customer: Annotated[str, Query(max_length=200)] = "",
    mine: Annotated[bool, Query()] = False,
    show: Annotated[str, Query(pattern="^(open|all)$")] = "open",
) -> HTMLResponse:
    """The board, filtered; the escalations whose deadline is near (or past) and not met come first."""
    deps = request_deps(request)
    now = deps.clock()
    rows = [
        _row(queries.escalation_status(deps, item.escalation.id), now)
        for item in queries.escalation_listing(deps)
    ]
    customers = sorted({(r.status.escalation.customer_id, _customer(r.status)) for r in rows})
    states = sorted({r.status.escalation.state.value for r in rows})
    if show == "open":
        rows = [r for r in rows if r.status.escalation.state not in _FINAL]
    if state:
        rows = [r for r in rows if r.status.escalation.state.value == state]
    if customer:
        rows = [r for r in rows if r.status.escalation.customer_id == customer]
    if mine:
        rows = [r for r in rows if r.step.waits_on(who.user)]
    far = datetime.max.replace(tzinfo=now.tzinfo)
    rows.sort(key=lambda r: (not r.at_risk, r.status.escalation.deadline or far, r.id))
    context = {
        "rows": rows,
        "now": now,
        "customers": customers,
        "states": states,
        "filters": {"state": state, "customer": customer, "mine": mine, "show": show},
        "role_name": role_name,
    }
    return page(request, "board.html", context)
