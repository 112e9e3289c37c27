"""Who may change who may act (issue 9, item 8): only an administrator imports or changes users, after a bootstrap
import that names the first one; nobody takes another user's display name; the last administrator stays; and
every import is an entry of the users chain, which `audit verify` checks against the stored users."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import replace

import pytest

from readout.adapters.casefile.loader import CaseFileBuilder
from readout.adapters.ics.files import IcsFileReader
from readout.adapters.memory.hold_calendar import MemoryHoldCalendar
from readout.domain.audit import AuditEntry, entry_hash
from readout.domain.roster import USERS_CHAIN, USERS_IMPORTED, verify_users
from readout.domain.users import Permission, Role, User, may
from readout.errors import NotFound, PermissionDenied, Refused
from readout.services.context import Deps
from readout.services.exceptions import approve
from readout.services.ports import UnitOfWork
from readout.services.users import import_users, users_audit_trail, verify_users_chain
from tests.services.flows import DUTY, FREEZE, FREEZE_ID, PSM, USERS, Clock, Desk, u

ADMIN = "ada"
ADA = User(ADMIN, "Ada Admin", "ada@provider.example", frozenset({Role.ADMINISTRATOR}))
OMAR = next(user for user in USERS if user.id == DUTY)  # "Omar Duty", the real duty manager
EVERY_ROLE = frozenset(Role) - {Role.ADMINISTRATOR}
WAIVED = u(2026, 11, 24, 11)  # the freeze example's first near miss: breaks COVERAGE only


@pytest.fixture
def deps(store_uow: Callable[[], UnitOfWork], clock: Clock, hold_calendar: MemoryHoldCalendar) -> Deps:
    """A store with no users at all (the workflow conftest's ``deps`` seeds them without an import)."""
    return Deps(
        uow=store_uow,
        reader=IcsFileReader(),
        holds=hold_calendar,
        clock=clock,
        cases=CaseFileBuilder(),
        pinned=True,
    )


@pytest.fixture
def staffed(deps: Deps) -> Deps:
    """After the bootstrap import: the administrator and one user per role."""
    import_users(deps, [ADA, *USERS], None)
    return deps


def stored(deps: Deps) -> tuple[list[User], list[AuditEntry]]:
    with deps.uow() as uow:
        return uow.users.list(), uow.user_audit.entries()


def test_the_first_import_needs_no_actor_but_must_name_an_administrator(deps: Deps) -> None:
    with pytest.raises(Refused, match="first import must name at least one administrator"):
        import_users(deps, list(USERS), None)
    assert stored(deps) == ([], [])
    assert verify_users_chain(deps) is None  # nothing to verify in a new store

    done = import_users(deps, [ADA, *USERS], None)

    assert done.bootstrap
    users, entries = stored(deps)
    assert {user.id for user in users} == {ADMIN} | {user.id for user in USERS}
    (entry,) = entries
    assert (entry.seq, entry.actor, entry.kind) == (1, "readout", USERS_IMPORTED)
    assert entry.payload["as_of"] == "2026-11-01T00:00:00Z"  # the pinned clock is an "as of", not the time
    assert entry.at > deps.clock()  # recorded by the wall clock
    assert entry.payload["bootstrap"] is True
    assert {item["change"] for item in entry.payload["users"]} == {"added"}
    assert verify_users_chain(deps) == []


def test_the_bootstrap_import_may_name_its_administrator_but_not_anyone_else(deps: Deps) -> None:
    with pytest.raises(PermissionDenied, match="not an administrator named by the file"):
        import_users(deps, [ADA, *USERS], PSM)
    assert stored(deps) == ([], [])

    import_users(deps, [ADA, *USERS], ADMIN)

    assert [e.actor for e in users_audit_trail(deps)] == [ADMIN]


@pytest.mark.parametrize(
    ("who", "error"), [(None, PermissionDenied), (PSM, PermissionDenied), ("zed", NotFound)]
)
def test_after_the_bootstrap_only_an_administrator_imports_users(
    staffed: Deps, who: str | None, error: type[Exception]
) -> None:
    before = stored(staffed)
    promoted = replace(OMAR, roles=OMAR.roles | {Role.ENGINEERING_MANAGER})

    with pytest.raises(error):
        import_users(staffed, [promoted], who)

    assert stored(staffed) == before
    import_users(staffed, [promoted], ADMIN)
    assert stored(staffed)[0] != before[0]


def test_a_user_given_the_administrator_role_by_the_file_is_no_administrator_yet(staffed: Deps) -> None:
    # The file cannot vouch for the one importing it: the store decides who is an administrator.
    with pytest.raises(PermissionDenied):
        import_users(staffed, [replace(USERS[0], roles=frozenset(Role))], USERS[0].id)


@pytest.mark.parametrize("who", [None, PSM, DUTY, ADMIN])
def test_issue_9_a_new_user_with_every_role_and_the_duty_managers_name_is_refused_at_the_import(
    staffed: Deps, desk: Desk, who: str | None
) -> None:
    before = stored(staffed)
    mallory = User("mallory", "omar  DUTY", "mallory@elsewhere.example", EVERY_ROLE)

    with pytest.raises(Refused):  # not an administrator; and even an administrator may not reuse the name
        import_users(staffed, [mallory], who)

    assert stored(staffed) == before
    desk.open(FREEZE)
    with pytest.raises(NotFound):
        approve(desk.deps, FREEZE_ID, "mallory", WAIVED, "approved")


def test_an_administrator_may_not_give_anyone_a_name_another_user_has(staffed: Deps) -> None:
    with pytest.raises(Refused, match=r"user 'omar' already is \(display names must tell people apart\)"):
        import_users(staffed, [User("mallory", "Omar Duty", "", frozenset())], ADMIN)
    with pytest.raises(Refused, match="user 'omar' already is"):  # renaming someone onto it is the same
        import_users(staffed, [replace(USERS[0], name="ＯＭＡＲ DUTY")], ADMIN)  # full-width letters
    with pytest.raises(Refused, match="Readout's own name"):
        import_users(staffed, [User("mallory", "readout (automatic)", "", frozenset())], ADMIN)
    with pytest.raises(Refused, match="listed twice"):
        import_users(staffed, [USERS[0], USERS[0]], ADMIN)

    import_users(staffed, [replace(OMAR, name="Omar DUTY")], ADMIN)  # one's own name, in other letters

    assert verify_users_chain(staffed) == []


def test_the_last_administrator_stays(staffed: Deps) -> None:
    with pytest.raises(Refused, match="remove the last administrator"):
        import_users(staffed, [replace(ADA, roles=frozenset({Role.PROGRAM_MANAGER}))], ADMIN)

    bea = User("bea", "Bea Admin", "bea@provider.example", frozenset({Role.ADMINISTRATOR}))
    import_users(staffed, [bea, replace(ADA, roles=frozenset())], ADMIN)

    with pytest.raises(PermissionDenied):
        import_users(staffed, [ADA], ADMIN)  # Ada is no administrator any more
    import_users(staffed, [ADA], "bea")


def test_the_administrator_role_alone_allows_managing_users_and_nothing_else() -> None:
    assert [p for p in Permission if may(ADA, p)] == [Permission.MANAGE_USERS]
    assert not any(may(user, Permission.MANAGE_USERS) for user in USERS)


def test_every_import_is_recorded_with_who_when_and_old_and_new_values(staffed: Deps, clock: Clock) -> None:
    clock.advance(days=3)
    moved = replace(OMAR, name="Omar Haddad", roles=frozenset({Role.DUTY_MANAGER, Role.ENGINEERING_MANAGER}))
    newcomer = User("nia", "Nia New", "nia@provider.example", frozenset({Role.ESCALATION_MANAGER}))

    import_users(staffed, [moved, newcomer, USERS[0]], ADMIN)

    first, second = users_audit_trail(staffed)
    assert (second.seq, second.actor, second.prev_hash) == (2, ADMIN, first.hash)
    assert second.at >= first.at
    assert second.payload.pop("as_of") == clock().strftime("%Y-%m-%dT%H:%M:%SZ")
    assert second.payload == {
        "bootstrap": False,
        "users": [
            {
                "id": DUTY,
                "change": "changed",
                "new": {
                    "name": "Omar Haddad",
                    "email": OMAR.email,
                    "roles": ["duty_manager", "engineering_manager"],
                },
                "old": {"name": "Omar Duty", "email": OMAR.email, "roles": ["duty_manager"]},
            },
            {
                "id": "nia",
                "change": "added",
                "new": {"name": "Nia New", "email": newcomer.email, "roles": ["escalation_manager"]},
            },
            {
                "id": USERS[0].id,
                "change": "unchanged",
                "new": {"name": USERS[0].name, "email": USERS[0].email, "roles": ["program_manager"]},
            },
        ],
    }
    assert verify_users_chain(staffed) == []


def _rehashed_as(entry: AuditEntry, actor: str) -> AuditEntry:
    e = entry
    digest = entry_hash(e.escalation_id, e.seq, e.at, actor, e.kind, e.payload, e.prev_hash)
    return dataclasses.replace(e, actor=actor, hash=digest)


def _edited(entries: list[AuditEntry]) -> list[AuditEntry]:
    payload = {**entries[1].payload, "bootstrap": True}
    return [entries[0], dataclasses.replace(entries[1], payload=payload), *entries[2:]]


def _actor_edited_and_rehashed(entries: list[AuditEntry]) -> list[AuditEntry]:
    return [entries[0], _rehashed_as(entries[1], "mallory"), *entries[2:]]


def _deleted_in_the_middle(entries: list[AuditEntry]) -> list[AuditEntry]:
    return [entries[0], *entries[2:]]


def _truncated(entries: list[AuditEntry]) -> list[AuditEntry]:
    return entries[:-1]


def _all_gone(entries: list[AuditEntry]) -> list[AuditEntry]:
    return []


def _swapped(entries: list[AuditEntry]) -> list[AuditEntry]:
    return [entries[1], entries[0], *entries[2:]]


TAMPERING = [_edited, _actor_edited_and_rehashed, _deleted_in_the_middle, _truncated, _all_gone, _swapped]


@pytest.mark.parametrize("tamper", TAMPERING, ids=[t.__name__.strip("_") for t in TAMPERING])
def test_tampering_with_the_users_chain_is_detected(
    staffed: Deps, tamper: Callable[[list[AuditEntry]], list[AuditEntry]]
) -> None:
    import_users(staffed, [replace(OMAR, roles=frozenset({Role.DUTY_MANAGER, Role.PROGRAM_MANAGER}))], ADMIN)
    import_users(staffed, [replace(OMAR, roles=frozenset({Role.DUTY_MANAGER}))], ADMIN)
    with staffed.uow() as uow:
        entries, head, users = uow.user_audit.entries(), uow.user_audit.head(), uow.users.list()
    assert head is not None
    assert len(entries) == 3

    assert verify_users(entries, *head, users) == []
    assert verify_users(tamper(list(entries)), *head, users) != [], f"{tamper.__name__} went unnoticed"
    assert verify_users_chain(staffed) == []


def test_a_user_changed_outside_readout_is_reported(staffed: Deps) -> None:
    with staffed.uow() as uow:  # e.g. the store written directly, as the issue's attacker could have
        uow.users.put(replace(OMAR, roles=EVERY_ROLE))
        uow.users.put(User("mallory", "Mal", "", EVERY_ROLE))
        uow.commit()

    problems = verify_users_chain(staffed)

    assert problems == [
        "user 'mallory' is not as the imports left them (changed outside Readout)",
        f"user {DUTY!r} is not as the imports left them (changed outside Readout)",
    ]


def test_the_users_chain_is_its_own(staffed: Deps) -> None:
    assert {e.escalation_id for e in users_audit_trail(staffed)} == {USERS_CHAIN}
