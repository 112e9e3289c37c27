"""Read-only use cases: status of an escalation, the list, the audit trail and its verification.

Importing users and the users chain are in ``services.users``.

What people read is shown in the contract zone's local time and each person's own: ``CaseZones`` carries
those zones, read from the stored case document's fields (a few keys of its JSON), so that status, list
and audit neither build the case (the case-file schema, holidays, calendars) nor read any calendar.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from readout.domain.audit import AuditEntry, SlotExplanation, explain_start, replay_problems, verify_chain
from readout.domain.effects import Effect, EffectKind, EffectStatus
from readout.domain.escalation import Escalation
from readout.domain.exception_requests import Decision, ExceptionRequest, Route, Waiver
from readout.domain.holds import Hold, HoldStatus
from readout.domain.names import ROLES, WAIVABLE, family_order
from readout.domain.plan import Plan
from readout.domain.users import WAIVERS, Role
from readout.services.context import Deps, load_escalation
from readout.services.ports import UnitOfWork

if TYPE_CHECKING:
    from readout.domain.case import Case

__all__ = [
    "CaseZones",
    "DeciderGroup",
    "Listing",
    "Status",
    "audit_trail",
    "case_zones",
    "deciders",
    "escalation_listing",
    "escalation_status",
    "explain_slot",
    "list_escalations",
    "verify_audit",
    "zones_of_case",
    "zones_of_document",
]


_SETTLED = (EffectStatus.DONE, EffectStatus.DROPPED)
# The order deciders are named in: whose decision it primarily is first (the fix owner's manager, then a PSM).
_DECIDER_ORDER = (Role.DUTY_MANAGER, Role.ENGINEERING_MANAGER, Role.PROGRAM_MANAGER, Role.SUPPORT_LEADERSHIP)


class Attendee(NamedTuple):
    """A required role holder as times are shown to them: display name and IANA zone."""

    name: str
    zone: str


@dataclass(frozen=True)
class CaseZones:
    """The zones times are shown in: the contract zone (where the contract counts business days: the
    customer's unless ``policy.business_days.timezone`` names another) and each required role holder's."""

    contract: str
    roles: Mapping[str, Attendee] = field(default_factory=dict)  # role -> its holder
    customer_name: str = ""  # the customer's display name ("" when the document has none)

    def of(self, role: str) -> Attendee | None:
        """The holder of ``role``, when the case names one."""
        return self.roles.get(role)


class DeciderGroup(NamedTuple):
    """Who may decide (part of) an open exception request: the family to waive (``""``: the whole request),
    the roles that may, and the users in the store holding one (display names with ids), without the person
    the request was raised for."""

    family: str
    roles: tuple[str, ...]
    users: tuple[tuple[str, str], ...]  # (user id, display name)


@dataclass(frozen=True)
class Status:
    """Everything a reviewer needs about one escalation."""

    escalation: Escalation
    plan: Plan | None
    holds: tuple[Hold, ...]
    requests: tuple[ExceptionRequest, ...]
    waivers: tuple[Waiver, ...]
    effects: tuple[Effect, ...] = ()  # calendar writes and invitations not done: pending, failed, uncertain
    zones: CaseZones | None = None  # None: no stored case document (an escalation from an old store)
    deciders: tuple[DeciderGroup, ...] = ()  # of the open exception request, if there is one
    # Whether an invitation for the confirmed readout was decided (None: not confirmed; False: none was, e.g.
    # no SMTP relay at confirmation; its standing, when not settled, is among ``effects``).
    invited: bool | None = None
    # Exception requests whose message to the leadership channel is written (queued or delivered).
    announced: frozenset[int] = frozenset()
    # Exception requests whose e-mail to the deciders is written (queued or sent): no channel is configured.
    emailed: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Listing:
    """One escalation of the list, with the zone its deadline is read in."""

    escalation: Escalation
    zones: CaseZones | None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _section(body: Mapping[str, Any], *path: str) -> Mapping[str, Any]:
    node: Any = body
    for key in path:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node if isinstance(node, Mapping) else {}


def zones_of_document(body: Mapping[str, Any]) -> CaseZones:
    """The zones of a stored case document (validated when it was stored; anything missing reads as UTC)."""
    customer = _text(_section(body, "customer").get("timezone")) or "UTC"
    contract = _text(_section(body, "policy", "business_days").get("timezone")) or customer
    people, roles = _section(body, "people"), _section(body, "roles")
    holders: dict[str, Attendee] = {}
    for role in ROLES:
        person = _section(people, _text(roles.get(role)) or "")
        if person:
            name = _text(person.get("name")) or str(roles.get(role))
            holders[role] = Attendee(name, _text(person.get("timezone")) or "UTC")
    return CaseZones(contract, holders, _text(_section(body, "customer").get("name")) or "")


def zones_of_case(case: Case) -> CaseZones:
    """The zones of a built case (what ``open`` and re-plans already have)."""
    holders = {
        role: Attendee(case.people[pid].name, case.people[pid].zone.key)
        for role in ROLES
        if (pid := case.roles.get(role)) and pid in case.people
    }
    return CaseZones(case.business_zone.key, holders, case.customer_name)


def _zones(uow: UnitOfWork, escalation_id: str) -> CaseZones | None:
    stored = uow.cases.latest(escalation_id)
    return zones_of_document(stored.document.body) if stored else None


def case_zones(deps: Deps, escalation_id: str) -> CaseZones | None:
    """The zones of the escalation's stored case document (None for an escalation stored without one)."""
    with deps.look() as uow:
        return _zones(uow, escalation_id)


def _raised_for(uow: UnitOfWork, request: ExceptionRequest) -> str:
    from readout.services.exceptions import raised_for

    return raised_for(uow, request)


def _deciders(uow: UnitOfWork, request: ExceptionRequest) -> tuple[DeciderGroup, ...]:
    """Who may decide ``request``: per family its options ask to waive, or support leadership."""
    if request.route is Route.SUPPORT_LEADERSHIP:
        wanted = {"": frozenset({Role.SUPPORT_LEADERSHIP})}
    else:
        families = sorted({f for o in request.options for f in o.waivers if f in WAIVABLE}, key=family_order)
        wanted = {f: WAIVERS[f] for f in families}
    excluded = _raised_for(uow, request)
    users = [u for u in uow.users.list() if u.id != excluded]
    groups = []
    for family, roles in wanted.items():
        ordered = tuple(r.value for r in (*_DECIDER_ORDER, *Role) if r in roles)
        ordered = tuple(dict.fromkeys(ordered))
        holders = tuple((u.id, u.name) for u in users if u.roles & roles)
        groups.append(DeciderGroup(family, ordered, holders))
    return tuple(groups)


def deciders(deps: Deps, escalation_id: str) -> tuple[DeciderGroup, ...]:
    """Who may decide the escalation's open exception request (none open: empty)."""
    with deps.look() as uow:
        return _open_deciders(uow, escalation_id)


def _open_deciders(uow: UnitOfWork, escalation_id: str) -> tuple[DeciderGroup, ...]:
    open_requests = [r for r in uow.exceptions.of(escalation_id) if r.decision is Decision.OPEN]
    return _deciders(uow, open_requests[-1]) if open_requests else ()


def escalation_status(deps: Deps, escalation_id: str) -> Status:
    """The escalation with its latest plan, holds, exception requests and waivers, the zones to show them
    in, and who may decide its open exception request."""
    with deps.look() as uow:
        esc = load_escalation(uow, escalation_id)
        effects = uow.effects.of(esc.id)
        requested = any(
            e.kind is EffectKind.SEND_INVITATION and e.payload.get("method") == "REQUEST" for e in effects
        )
        return Status(
            esc,
            uow.plans.latest(esc.id),
            tuple(uow.holds.of(esc.id)),
            tuple(uow.exceptions.of(esc.id)),
            tuple(uow.waivers.of(esc.id)),
            tuple(e for e in effects if e.status not in _SETTLED),
            _zones(uow, esc.id),
            _open_deciders(uow, esc.id),
            requested if esc.confirmed_at is not None else None,
            _announced(effects),
            _emailed(effects),
        )


def _emailed(effects: Sequence[Effect]) -> frozenset[int]:
    """The exception requests (ids) whose e-mail to the deciders is written."""
    numbers = (e.key.removeprefix("notify:request:") for e in effects if e.kind is EffectKind.NOTIFY_EMAIL)
    return frozenset(int(n) for n in numbers if n.isdigit())


def _announced(effects: Sequence[Effect]) -> frozenset[int]:
    """The exception requests (ids) whose first message to the leadership channel is written."""
    ids = set()
    for effect in effects:
        topic = str(effect.payload.get("topic", ""))
        if (
            effect.kind is EffectKind.CHANNEL_POST
            and not effect.payload.get("thread")
            and topic.count(":") == 2
        ):
            kind, _, number = topic.split(":")
            if kind == "request" and number.isdigit():
                ids.add(int(number))
    return frozenset(ids)


def announced_requests(deps: Deps, escalation_id: str) -> tuple[frozenset[int], frozenset[int]]:
    """``Status.announced`` and ``Status.emailed`` alone (what a command's report needs after it decided)."""
    with deps.look() as uow:
        effects = uow.effects.of(escalation_id)
        return _announced(effects), _emailed(effects)


def list_escalations(deps: Deps) -> list[Escalation]:
    """Every stored escalation, oldest first."""
    with deps.look() as uow:
        return uow.escalations.list()


def escalation_listing(deps: Deps) -> list[Listing]:
    """Every stored escalation, oldest first, with the zones of its stored case document."""
    with deps.look() as uow:
        return [Listing(e, _zones(uow, e.id)) for e in uow.escalations.list()]


def audit_trail(deps: Deps, escalation_id: str) -> list[AuditEntry]:
    """The escalation's audit entries in order."""
    with deps.look() as uow:
        load_escalation(uow, escalation_id)
        return uow.audit.entries(escalation_id)


def verify_audit(
    deps: Deps, escalation_id: str | None = None, also: Iterable[str] = ()
) -> dict[str, list[str]]:
    """Problems per escalation (all of them, or one); an intact chain whose escalation agrees with it has an
    empty list. Checked: each hash chain against the head its escalation stores (``verify_chain``); the
    stored state, live holds and waivers against what the log says (``replay_problems``); and, when every
    escalation is checked, audit entries of escalations that have no row (among the ids the store lists and
    ``also``, e.g. the ids an anchor names)."""
    found: dict[str, list[str]] = {}
    with deps.look() as uow:
        if escalation_id is not None:
            chosen = [load_escalation(uow, escalation_id)]
        else:
            chosen = uow.escalations.list()
        for esc in chosen:
            entries = uow.audit.entries(esc.id)
            live = [h.slot.start for h in uow.holds.of(esc.id) if h.status is HoldStatus.LIVE]
            waivers = [(w.slot.start, w.family) for w in uow.waivers.of(esc.id)]
            found[esc.id] = verify_chain(entries, esc.audit_seq, esc.audit_head) + replay_problems(
                entries, esc.state.value, live, waivers
            )
        if escalation_id is None:
            known = {e.id for e in chosen}
            for other in dict.fromkeys([*_audited_ids(uow), *also]):
                entries = [] if other in known else uow.audit.entries(other)
                if entries:
                    found[other] = [
                        f"{len(entries)} audit entries of an escalation that has no row (deleted?)"
                    ]
    return found


def _audited_ids(uow: UnitOfWork) -> list[str]:
    """Every escalation id the audit log holds entries for."""
    return uow.audit.escalation_ids()


def explain_slot(deps: Deps, escalation_id: str, start: datetime) -> SlotExplanation:
    """What the escalation's log says about the slot starting at ``start``: each plan's answer (offered,
    near miss or rejected and by which families), the holds on it, the exceptions decided for it. From the
    log alone: nothing is planned again."""
    return explain_start(audit_trail(deps, escalation_id), start)
