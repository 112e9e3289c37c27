"""Actors and what each role may do. The permission tables are data, not ``if`` chains."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from readout.domain.names import COVERAGE, HANDOFF_WINDOW

__all__ = [
    "AGENT_PERMISSIONS",
    "COORDINATORS",
    "SLACK_USER_ID",
    "SYSTEM",
    "Permission",
    "Role",
    "User",
    "UserKind",
    "agent_problems",
    "may",
    "may_waive",
    "refusal",
    "same_name",
]


class Role(Enum):
    """Roles a user can hold in the support organisation."""

    PROGRAM_MANAGER = "program_manager"  # premium support program manager (PSM)
    ESCALATION_MANAGER = "escalation_manager"
    DUTY_MANAGER = "duty_manager"
    ENGINEERING_MANAGER = "engineering_manager"  # the fix owner's manager
    SUPPORT_LEADERSHIP = "support_leadership"
    ADMINISTRATOR = "administrator"  # imports and changes users; nothing else by itself


class Permission(Enum):
    """Things a person may do to an escalation."""

    OPEN_AND_PLAN = "open_and_plan"
    HOLD = "hold"
    REVIEW = "review"
    CONFIRM = "confirm"
    REQUEST_EXCEPTION = "request_exception"
    DECIDE_ESCALATION = "decide_escalation"
    CANCEL = "cancel"
    MANAGE_USERS = "manage_users"


class UserKind(Enum):
    """Who a user is: a person, or an agent (a program acting through the tool surface, docs/agents.md) on
    behalf of a named person."""

    PERSON = "person"
    AGENT = "agent"


_COORDINATORS = frozenset({Role.PROGRAM_MANAGER, Role.ESCALATION_MANAGER})
COORDINATORS = _COORDINATORS  # the roles a person must hold for an agent to act on their behalf
PERMISSIONS: dict[Permission, frozenset[Role]] = {
    Permission.OPEN_AND_PLAN: _COORDINATORS,
    Permission.HOLD: _COORDINATORS,
    Permission.REVIEW: _COORDINATORS,
    Permission.CONFIRM: _COORDINATORS,  # the final commitment is always a named coordinator's
    Permission.REQUEST_EXCEPTION: _COORDINATORS,
    Permission.DECIDE_ESCALATION: frozenset({Role.SUPPORT_LEADERSHIP}),
    Permission.CANCEL: _COORDINATORS | {Role.SUPPORT_LEADERSHIP},
    Permission.MANAGE_USERS: frozenset({Role.ADMINISTRATOR}),
}
# Who may waive which constraint family for one slot (spec section 5).
WAIVERS: dict[str, frozenset[Role]] = {
    COVERAGE: frozenset({Role.DUTY_MANAGER}),
    HANDOFF_WINDOW: frozenset({Role.ENGINEERING_MANAGER, Role.PROGRAM_MANAGER}),
}
# What an agent may do: plan, hold and ask. Reviewing and confirming (the human's checkpoint and the final
# commitment), deciding exception requests, waiving and cancelling stay with people.
AGENT_PERMISSIONS = frozenset({Permission.OPEN_AND_PLAN, Permission.HOLD, Permission.REQUEST_EXCEPTION})


@dataclass(frozen=True)
class User:
    """A named person who acts in Readout. ``slack``: the Slack user id (``U012ABCDEF``) linked to this user,
    so that a button clicked in the leadership channel acts as them (docs/leadership-channel.md)."""

    id: str
    name: str
    email: str
    roles: frozenset[Role]
    slack: str | None = None
    kind: UserKind = UserKind.PERSON
    on_behalf_of: str | None = None  # an agent's principal: the id of the person it acts for

    @property
    def is_agent(self) -> bool:
        return self.kind is UserKind.AGENT


# A Slack user (or workspace-wide enterprise user) id: U or W, then upper-case letters and digits.
SLACK_USER_ID = r"^[UW][A-Z0-9]{2,20}$"

SYSTEM = User("readout", "Readout (automatic)", "", frozenset())


def may(user: User, permission: Permission) -> bool:
    """Whether ``user`` holds a role granting ``permission``; an agent only ever plans, holds and requests
    exceptions (``AGENT_PERMISSIONS``: the coordinator's permissions it borrows from its principal)."""
    if user.is_agent:
        return permission in AGENT_PERMISSIONS
    return bool(user.roles & PERMISSIONS[permission])


def may_waive(user: User, family: str) -> bool:
    """Whether ``user`` may waive ``family`` for a slot (never an agent: a waiver is a person's decision)."""
    if user.is_agent:
        return False
    return bool(user.roles & WAIVERS.get(family, frozenset()))


def refusal(user: User, permission: Permission) -> str:
    """Why ``user`` may not do ``permission``, and who must act instead."""
    what = permission.value.replace("_", " ")
    holders = " or ".join(sorted(r.value.replace("_", " ") for r in PERMISSIONS[permission]))
    if user.is_agent:
        principal = user.on_behalf_of or "its principal"
        return (
            f"{user.name} is an agent acting on behalf of {principal} and may not {what}: only a person may "
            f"({holders}); "
            + (
                f"ask {principal} or another {holders} to {what}"
                if PERMISSIONS[permission] & _COORDINATORS
                else f"a person with that role must {what}"
            )
        )
    roles = ", ".join(sorted(r.value for r in user.roles)) or "no roles"
    return f"{user.name} ({roles}) may not {what}"


def agent_problems(users: Mapping[str, User]) -> list[str]:
    """What is wrong with the agents among ``users`` (id -> user, as an import would leave them): an agent
    names the person it acts for, who must be a person holding a coordinator role; an agent holds no roles
    of its own; only an agent acts on someone's behalf."""
    problems: list[str] = []
    for user in users.values():
        if not user.is_agent:
            if user.on_behalf_of is not None:
                problems.append(
                    f"user {user.id!r} is a person: only an agent (kind: agent) acts on_behalf_of"
                )
            continue
        if user.roles:
            problems.append(
                f"agent {user.id!r} may not hold roles: it acts with its principal's coordinator permissions "
                "to plan, hold and request exceptions, nothing else"
            )
        principal = users.get(user.on_behalf_of or "")
        if user.on_behalf_of is None:
            problems.append(f"agent {user.id!r} needs on_behalf_of: the person it acts for")
        elif principal is None:
            problems.append(f"agent {user.id!r} acts on behalf of {user.on_behalf_of!r}, who is not a user")
        elif principal.is_agent:
            problems.append(
                f"agent {user.id!r} acts on behalf of {principal.id!r}, another agent: name a person"
            )
        elif not principal.roles & _COORDINATORS:
            problems.append(
                f"agent {user.id!r} acts on behalf of {principal.id!r}, who holds no coordinator role "
                "(program_manager or escalation_manager)"
            )
    return problems


def same_name(a: str, b: str) -> bool:
    """Whether two display names would read as the same person (case, width and spacing ignored)."""
    return _name_key(a) == _name_key(b)


def _name_key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())
