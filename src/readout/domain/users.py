"""Actors and what each role may do. The permission tables are data, not ``if`` chains."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import Enum

from readout.domain.names import COVERAGE, HANDOFF_WINDOW

__all__ = ["SLACK_USER_ID", "SYSTEM", "Permission", "Role", "User", "may", "may_waive", "same_name"]


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


_COORDINATORS = frozenset({Role.PROGRAM_MANAGER, Role.ESCALATION_MANAGER})
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


@dataclass(frozen=True)
class User:
    """A named person who acts in Readout. ``slack``: the Slack user id (``U012ABCDEF``) linked to this user,
    so that a button clicked in the leadership channel acts as them (docs/leadership-channel.md)."""

    id: str
    name: str
    email: str
    roles: frozenset[Role]
    slack: str | None = None


# A Slack user (or workspace-wide enterprise user) id: U or W, then upper-case letters and digits.
SLACK_USER_ID = r"^[UW][A-Z0-9]{2,20}$"

SYSTEM = User("readout", "Readout (automatic)", "", frozenset())


def may(user: User, permission: Permission) -> bool:
    """Whether ``user`` holds a role granting ``permission``."""
    return bool(user.roles & PERMISSIONS[permission])


def may_waive(user: User, family: str) -> bool:
    """Whether ``user`` may waive ``family`` for a slot."""
    return bool(user.roles & WAIVERS.get(family, frozenset()))


def same_name(a: str, b: str) -> bool:
    """Whether two display names would read as the same person (case, width and spacing ignored)."""
    return _name_key(a) == _name_key(b)


def _name_key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())
