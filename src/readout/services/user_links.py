"""Linking a Readout user to a Slack user (``readout users link USER --slack MEMBER_ID --as ADMIN``): a click
in the leadership channel by that Slack user then acts as the Readout user (entrypoints/http/slack.py), with
that user's roles and every gate.

An administrator's job, like importing users, and recorded the same way: the change is made by
``services.users.import_users`` with the user as stored and the new link, so it is one entry of the users
chain (``readout users audit``) whose old and new values ``readout audit verify`` checks the stored user
against. One Readout user per Slack user: a second link to the same member id is refused, naming who has it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from readout.domain.audit import AuditEntry
from readout.domain.users import SLACK_USER_ID, Permission, User
from readout.errors import NotFound, PermissionDenied, ReadoutError, Refused
from readout.services.context import Deps, actor
from readout.services.users import import_users

__all__ = ["BadSlackId", "SlackLink", "link_slack", "unlink_slack"]


class BadSlackId(ReadoutError):
    """A Slack member id that is not one (bad input, not a refusal)."""


@dataclass(frozen=True)
class SlackLink:
    """What a link or unlink did: the user as left, the Slack id before, and the users chain entry that
    records it (None: nothing changed, nothing recorded)."""

    user: User
    before: str | None
    entry: AuditEntry | None


def link_slack(deps: Deps, user_id: str, member_id: str, admin_id: str | None) -> SlackLink:
    """Link ``user_id`` to the Slack member ``member_id`` (``U012ABCDEF``), acting as the administrator
    ``admin_id``. BadSlackId when the id is malformed, NotFound for an unknown user, PermissionDenied for a
    non-administrator, Refused when another user is linked to that Slack user."""
    member = member_id.strip()
    if not re.fullmatch(SLACK_USER_ID, member):
        raise BadSlackId(
            f"--slack {member_id!r}: expected a Slack member id (U or W, then capital letters and digits, "
            "e.g. U012ABCDEF: in Slack, the profile's ⋮ menu, Copy member ID)"
        )
    user = _target(deps, user_id, admin_id)
    if user.is_agent:
        raise Refused(f"{user.id} is an agent: only a person is linked to a Slack user")
    if user.slack == member:
        return SlackLink(user, user.slack, None)
    with deps.look() as uow:
        holder = uow.users.by_slack(member)
    if holder is not None and holder.id != user.id:
        raise Refused(
            f"the Slack user {member} is already linked to {holder.id} ({holder.name}): a Slack user acts as "
            f"one Readout user; unlink it first (`readout users unlink {holder.id} --as ADMIN`)"
        )
    return _change(deps, user, member, admin_id)


def unlink_slack(deps: Deps, user_id: str, admin_id: str | None) -> SlackLink:
    """Take away ``user_id``'s Slack link (nothing changes, nothing is recorded when there is none)."""
    user = _target(deps, user_id, admin_id)
    if user.slack is None:
        return SlackLink(user, None, None)
    return _change(deps, user, None, admin_id)


def _target(deps: Deps, user_id: str, admin_id: str | None) -> User:
    """The user to change, once ``admin_id`` is known to be an administrator (checked first: a user who may
    not manage users learns nothing about others)."""
    if admin_id is None:
        raise PermissionDenied("linking users to Slack needs an administrator: add --as ADMIN")
    with deps.look() as uow:
        actor(uow, admin_id, Permission.MANAGE_USERS)
        user = uow.users.get(user_id)
    if user is None:
        raise NotFound(f"no user {user_id!r} (import users with `readout users import FILE`)")
    return user


def _change(deps: Deps, user: User, member: str | None, admin_id: str | None) -> SlackLink:
    """Record the user with ``member`` as their link, as an import of that one user does (it checks the
    administrator and the one-user-per-Slack-id rule again, in the same transaction as the change)."""
    done = import_users(deps, [replace(user, slack=member)], admin_id)
    return SlackLink(done.changes[0].new, user.slack, done.entry)
