"""Linking a Readout user to a Slack user (services/user_links.py) on memory, SQLite and PostgreSQL: an
administrator only, a well-formed member id, one Readout user per Slack user, each change one entry of the users
chain (as an import records it), nothing changed or recorded by a refusal or a link that is already so."""

from __future__ import annotations

import pytest

from readout.domain.users import Role, User
from readout.errors import NotFound, PermissionDenied, Refused
from readout.services.context import Deps
from readout.services.user_links import BadSlackId, link_slack, unlink_slack
from readout.services.users import import_users, users_audit_trail
from tests.services.flows import DUTY, LEAD

ADMIN = User("alex", "Alex Admin", "alex@provider.example", frozenset({Role.ADMINISTRATOR}))


@pytest.fixture
def linked(deps: Deps) -> Deps:
    import_users(deps, [ADMIN], None)  # the bootstrap import: from now on alex manages users
    return deps


def _user(deps: Deps, user_id: str) -> User:
    with deps.look() as uow:
        found = uow.users.get(user_id)
    assert found is not None
    return found


def test_an_administrator_links_and_unlinks_a_user_recorded_in_the_users_chain(linked: Deps) -> None:
    done = link_slack(linked, DUTY, " U0OMAR ", ADMIN.id)

    assert (done.user.slack, done.before) == ("U0OMAR", None)
    assert _user(linked, DUTY).slack == "U0OMAR"
    with linked.look() as uow:
        found = uow.users.by_slack("U0OMAR")
    assert found is not None
    assert found.id == DUTY
    entry = users_audit_trail(linked)[-1]
    assert done.entry == entry
    assert (entry.actor, entry.kind) == (ADMIN.id, "users_imported")
    [item] = entry.payload["users"]
    assert (item["id"], item["change"], item["new"]["slack"]) == (DUTY, "changed", "U0OMAR")
    assert "slack" not in item["old"]
    assert item["new"]["roles"] == ["duty_manager"]  # nothing else about the user changed

    gone = unlink_slack(linked, DUTY, ADMIN.id)
    assert (gone.user.slack, gone.before) == (None, "U0OMAR")
    assert _user(linked, DUTY).slack is None
    [item] = users_audit_trail(linked)[-1].payload["users"]
    assert (item["old"]["slack"], "slack" in item["new"]) == ("U0OMAR", False)


def test_linking_again_or_unlinking_an_unlinked_user_records_nothing(linked: Deps) -> None:
    link_slack(linked, DUTY, "U0OMAR", ADMIN.id)
    entries = len(users_audit_trail(linked))
    assert link_slack(linked, DUTY, "U0OMAR", ADMIN.id).entry is None
    assert unlink_slack(linked, LEAD, ADMIN.id).entry is None
    assert len(users_audit_trail(linked)) == entries


def test_a_slack_user_acts_as_one_readout_user(linked: Deps) -> None:
    link_slack(linked, DUTY, "U0OMAR", ADMIN.id)
    entries = len(users_audit_trail(linked))
    with pytest.raises(Refused, match=r"the Slack user U0OMAR is already linked to omar \(Omar Duty\)"):
        link_slack(linked, LEAD, "U0OMAR", ADMIN.id)
    assert _user(linked, LEAD).slack is None
    assert len(users_audit_trail(linked)) == entries
    # Moving the link: unlink first, then link the other user.
    unlink_slack(linked, DUTY, ADMIN.id)
    assert link_slack(linked, LEAD, "U0OMAR", ADMIN.id).user.slack == "U0OMAR"


def test_relinking_a_user_to_another_slack_user_replaces_the_link(linked: Deps) -> None:
    link_slack(linked, DUTY, "U0OMAR", ADMIN.id)
    done = link_slack(linked, DUTY, "W0OMAR2", ADMIN.id)
    assert (done.user.slack, done.before) == ("W0OMAR2", "U0OMAR")
    with linked.look() as uow:
        assert uow.users.by_slack("U0OMAR") is None


@pytest.mark.parametrize(
    ("user", "member", "admin", "error", "says"),
    [
        (DUTY, "U0OMAR", DUTY, PermissionDenied, "may not manage users"),
        (DUTY, "U0OMAR", None, PermissionDenied, "needs an administrator"),
        (DUTY, "U0OMAR", "nobody-at-all", NotFound, "no user 'nobody-at-all'"),
        ("ghost", "U0OMAR", ADMIN.id, NotFound, "no user 'ghost'"),
        (DUTY, "u0omar", ADMIN.id, BadSlackId, "expected a Slack member id"),
        (DUTY, "C0LEADERS", ADMIN.id, BadSlackId, "expected a Slack member id"),
        (DUTY, "U0", ADMIN.id, BadSlackId, "expected a Slack member id"),
    ],
)
def test_refusals_change_nothing(
    linked: Deps, user: str, member: str, admin: str | None, error: type[Exception], says: str
) -> None:
    entries = len(users_audit_trail(linked))
    with pytest.raises(error, match=says):
        link_slack(linked, user, member, admin)
    assert _user(linked, DUTY).slack is None
    assert len(users_audit_trail(linked)) == entries
