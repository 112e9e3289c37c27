"""Signing in (issue 12, point 4) on the memory twin, SQLite and PostgreSQL: passwords checked against argon2id
hashes, failed sign-ins that make the user and the address wait, sessions that rotate, idle out, expire and are
revoked, scoped API tokens that expire and are revoked, and nobody holding a credential of Readout itself.
Every change to a credential is an entry of the users chain."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text

from readout.adapters.casefile.loader import CaseFileBuilder
from readout.adapters.ics.files import IcsFileReader
from readout.adapters.memory.hold_calendar import MemoryHoldCalendar
from readout.domain.auth import FAILURE_MEMORY, SESSION_ABSOLUTE, SESSION_IDLE, parse_token
from readout.domain.roster import verify_users
from readout.domain.users import SYSTEM, Role, User
from readout.errors import NotFound, PermissionDenied, Refused
from readout.services import auth
from readout.services.auth import SessionPolicy, SignInFailed, TooManyAttempts
from readout.services.context import Deps
from readout.services.ports import UnitOfWork
from readout.services.users import import_users, verify_users_chain
from tests.services.flows import EM, PSM, USERS, Clock
from tests.support.db_fixtures import Store

ADMIN = "ada"
ADA = User(ADMIN, "Ada Admin", "ada@provider.example", frozenset({Role.ADMINISTRATOR}))
PASSWORD = "correct horse battery staple"
FAST = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)  # argon2id, cheap enough for tests
POLICY = SessionPolicy(hasher=FAST)
HERE, THERE = "192.0.2.10", "198.51.100.7"


@pytest.fixture
def deps(store_uow: Callable[[], UnitOfWork], clock: Clock, hold_calendar: MemoryHoldCalendar) -> Deps:
    made = Deps(
        uow=store_uow,
        reader=IcsFileReader(),
        holds=hold_calendar,
        clock=clock,
        cases=CaseFileBuilder(),
        wall=clock,  # sign-in runs on the real clock; here the test moves it
    )
    import_users(made, [ADA, *USERS], None)
    auth.set_password(made, PSM, PASSWORD, ADMIN, POLICY)
    return made


def sign_in(deps: Deps, user: str = PSM, password: str = PASSWORD, address: str = HERE) -> auth.SignedIn:
    return auth.sign_in(deps, user, password, address, policy=POLICY)


def fail(deps: Deps, times: int, user: str = PSM, address: str = HERE) -> None:
    for _ in range(times):
        with pytest.raises(SignInFailed):
            sign_in(deps, user, "not the password", address)


def test_the_right_password_starts_a_session_and_a_wrong_one_does_not(deps: Deps) -> None:
    done = sign_in(deps)
    assert done.user.id == PSM
    assert auth.session_user(deps, done.token, POLICY) == (done.user, done.session)
    with pytest.raises(SignInFailed, match="wrong user or password"):
        sign_in(deps, password=PASSWORD + "!")
    with pytest.raises(SignInFailed, match="wrong user or password"):
        sign_in(deps, user=EM)  # a user without a password cannot sign in with one


def test_an_unknown_user_fails_like_a_wrong_password_and_is_counted_the_same(
    deps: Deps, clock: Clock
) -> None:
    with pytest.raises(SignInFailed) as unknown:
        sign_in(deps, user="mallory")
    with pytest.raises(SignInFailed) as wrong:
        sign_in(deps, password="not the password")
    assert str(unknown.value) == str(wrong.value)
    with deps.uow() as uow:
        assert uow.login_throttle.failures("user:mallory") == (1, clock())
        assert uow.login_throttle.failures(f"user:{PSM}") == (1, clock())
        assert uow.login_throttle.failures(f"address:{HERE}") == (2, clock())


def test_after_three_failures_the_user_must_wait_longer_each_time(deps: Deps, clock: Clock) -> None:
    fail(deps, 3)
    fail(deps, 1)  # the 4th failure is still checked, and makes the user wait 1 s
    with pytest.raises(TooManyAttempts) as waiting:
        sign_in(deps)  # even the right password is not checked while waiting
    assert waiting.value.retry_after == 1
    clock.advance(seconds=1)
    fail(deps, 1)  # 5th: 2 s
    clock.advance(seconds=1)
    with pytest.raises(TooManyAttempts) as waiting:
        sign_in(deps, address=THERE)  # another address does not help: the user's own count
    assert waiting.value.retry_after == 1
    clock.advance(seconds=1)
    assert sign_in(deps).user.id == PSM
    fail(deps, 3)  # a success forgot the user's failures: three free ones again
    with deps.uow() as uow:
        assert uow.login_throttle.failures(f"user:{PSM}") == (3, clock())


def test_an_address_guessing_at_many_users_must_wait_too(deps: Deps, clock: Clock) -> None:
    for n in range(10):
        fail(deps, 1, user=f"guess{n}", address=THERE)
    fail(deps, 1, user="guess10", address=THERE)  # the 11th failure from one address: wait 1 s
    with pytest.raises(TooManyAttempts):
        sign_in(deps, address=THERE)
    assert sign_in(deps, address=HERE).user.id == PSM  # the user from elsewhere is not locked out
    clock.advance(seconds=1)
    assert sign_in(deps, address=THERE).user.id == PSM


def test_failures_are_forgotten_an_hour_after_the_last(deps: Deps, clock: Clock) -> None:
    fail(deps, 4)
    clock.advance(seconds=(FAILURE_MEMORY + timedelta(seconds=1)).total_seconds())
    fail(deps, 3)  # counted from 1 again, so no wait (else the 7th failure would make the user wait 8 s)
    assert sign_in(deps).user.id == PSM


def test_the_password_hash_is_argon2id_and_is_redone_when_the_parameters_change(deps: Deps) -> None:
    with deps.uow() as uow:
        record = uow.passwords.get(PSM)
    assert record is not None
    assert record.hash.startswith("$argon2id$")
    assert PASSWORD not in record.hash
    stronger = SessionPolicy(hasher=PasswordHasher(time_cost=2, memory_cost=128, parallelism=1))
    auth.sign_in(deps, PSM, PASSWORD, HERE, policy=stronger)
    with deps.uow() as uow:
        rehashed = uow.passwords.get(PSM)
    assert rehashed is not None
    assert "m=128,t=2,p=1" in rehashed.hash
    assert sign_in(deps).user.id == PSM  # the same password still works (verify reads the hash's own)


def test_a_new_sign_in_rotates_the_session_the_browser_had(deps: Deps) -> None:
    first = sign_in(deps)
    second = auth.sign_in(deps, PSM, PASSWORD, HERE, replacing=first.token, policy=POLICY)
    assert second.token != first.token
    assert auth.session_user(deps, first.token, POLICY) is None
    assert auth.session_user(deps, second.token, POLICY) is not None


def test_a_session_ends_when_idle_and_at_its_absolute_end(deps: Deps, clock: Clock) -> None:
    idle = sign_in(deps)
    clock.advance(seconds=SESSION_IDLE.total_seconds())
    assert auth.session_user(deps, idle.token, POLICY) is None

    busy = sign_in(deps)
    for _ in range(int(SESSION_ABSOLUTE / SESSION_IDLE) * 2):  # used every half idle period
        assert auth.session_user(deps, busy.token, POLICY) is not None
        clock.advance(seconds=SESSION_IDLE.total_seconds() / 2)
        if clock() >= busy.session.expires_at:
            break
    assert auth.session_user(deps, busy.token, POLICY) is None


def test_signing_out_and_revoking_end_sessions(deps: Deps) -> None:
    one, two, three = sign_in(deps), sign_in(deps), sign_in(deps)
    auth.sign_out(deps, one.token)
    assert auth.session_user(deps, one.token, POLICY) is None
    assert auth.revoke_sessions(deps, PSM, ADMIN) == 2
    assert auth.session_user(deps, two.token, POLICY) is None
    assert auth.session_user(deps, three.token, POLICY) is None
    with pytest.raises(PermissionDenied):
        auth.revoke_sessions(deps, PSM, EM)  # only the user themself or an administrator


def test_setting_a_password_ends_the_users_sessions(deps: Deps) -> None:
    before = sign_in(deps)
    auth.set_password(deps, PSM, "another long passphrase", PSM, POLICY)  # a user sets their own
    assert auth.session_user(deps, before.token, POLICY) is None
    with pytest.raises(SignInFailed):
        sign_in(deps)
    assert sign_in(deps, password="another long passphrase").user.id == PSM


def test_only_the_user_or_an_administrator_sets_a_password_and_it_must_be_long(deps: Deps) -> None:
    with pytest.raises(PermissionDenied, match="only for themself"):
        auth.set_password(deps, PSM, PASSWORD, EM, POLICY)
    with pytest.raises(Refused, match="at least 12"):
        auth.set_password(deps, PSM, "short", ADMIN, POLICY)
    with pytest.raises(NotFound):
        auth.set_password(deps, "nobody-here", PASSWORD, ADMIN, POLICY)


def test_nobody_holds_a_credential_of_readout_itself(deps: Deps) -> None:
    with pytest.raises(Refused, match="Readout's own"):
        auth.set_password(deps, SYSTEM.id, PASSWORD, ADMIN, POLICY)
    with pytest.raises(Refused, match="Readout's own"):
        auth.create_token(deps, SYSTEM.id, "sneaky", frozenset({"write"}), 1, ADMIN)
    with pytest.raises(NotFound):
        auth.create_token(deps, PSM, "as readout", frozenset({"write"}), 1, SYSTEM.id)
    with pytest.raises(SignInFailed):
        sign_in(deps, user=SYSTEM.id)


def test_a_token_works_until_it_expires(deps: Deps, clock: Clock) -> None:
    made = auth.create_token(deps, EM, "ticketing webhook", frozenset({"read", "write"}), 30, ADMIN)
    assert made.text.startswith("rdt_")
    user, token = auth.token_user(deps, made.text) or (None, None)
    assert user is not None
    assert user.id == EM
    assert token is not None
    assert token.scopes == frozenset({"read", "write"})
    clock.advance(days=30)
    assert auth.token_user(deps, made.text) is None
    assert auth.list_tokens(deps, EM)[0].state(clock()) == "expired"


def test_a_revoked_token_or_a_wrong_secret_is_refused(deps: Deps) -> None:
    made = auth.create_token(deps, EM, "script", frozenset({"read"}), 1, EM)  # a user makes their own
    token_id, secret = parse_token(made.text) or ("", "")
    assert auth.token_user(deps, made.text.replace(secret, secret[::-1])) is None
    assert auth.token_user(deps, "rdt_nothing") is None
    revoked = auth.revoke_token(deps, token_id, ADMIN)
    assert revoked.revoked_by == ADMIN
    assert auth.token_user(deps, made.text) is None
    with pytest.raises(Refused, match="already revoked"):
        auth.revoke_token(deps, token_id, ADMIN)
    with pytest.raises(NotFound):
        auth.revoke_token(deps, "000000000000", ADMIN)


def test_token_scopes_names_and_lifetimes_are_checked(deps: Deps) -> None:
    with pytest.raises(Refused, match="unknown scope 'admin'"):
        auth.create_token(deps, EM, "x", frozenset({"admin"}), 1, ADMIN)
    with pytest.raises(Refused, match="at least one scope"):
        auth.create_token(deps, EM, "x", frozenset(), 1, ADMIN)
    with pytest.raises(Refused, match="1 to 365 days"):
        auth.create_token(deps, EM, "x", frozenset({"read"}), 366, ADMIN)
    with pytest.raises(Refused, match="needs a name"):
        auth.create_token(deps, EM, "  ", frozenset({"read"}), 1, ADMIN)
    with pytest.raises(PermissionDenied):
        auth.create_token(deps, EM, "for someone else", frozenset({"read"}), 1, PSM)


def test_the_credentials_of_a_user_who_is_gone_sign_in_nobody(deps: Deps, uow_factory: Store) -> None:
    made = auth.create_token(deps, EM, "script", frozenset({"read"}), 1, ADMIN)
    session = sign_in(deps, user=PSM)
    if uow_factory.engine is None:  # removed outside Readout (imports never remove users)
        del uow_factory.memory.users[EM], uow_factory.memory.users[PSM]
    else:
        with uow_factory.engine.begin() as connection:
            connection.execute(text("DELETE FROM users WHERE id IN (:a, :b)"), {"a": EM, "b": PSM})
    assert auth.token_user(deps, made.text) is None
    assert auth.session_user(deps, session.token, POLICY) is None


def test_every_credential_change_is_an_entry_of_the_users_chain(deps: Deps) -> None:
    made = auth.create_token(deps, EM, "webhook", frozenset({"write"}), 7, ADMIN)
    auth.revoke_token(deps, made.token.id, EM)
    auth.revoke_sessions(deps, PSM, ADMIN)
    with deps.uow() as uow:
        entries = uow.user_audit.entries()
        head = uow.user_audit.head()
        stored = uow.users.list()
    kinds = [(e.kind, e.actor, e.payload.get("user")) for e in entries[1:]]
    assert kinds == [
        ("password_set", ADMIN, PSM),
        ("token_created", ADMIN, EM),
        ("token_revoked", EM, EM),
        ("sessions_revoked", ADMIN, PSM),
    ]
    assert entries[2].payload["scopes"] == ["write"]
    assert made.text not in str([e.payload for e in entries])
    assert head is not None
    assert verify_users(entries, *head, stored) == []
    assert verify_users_chain(deps) == []


def test_sessions_run_on_the_real_clock_even_when_the_service_acts_as_of_another_instant(deps: Deps) -> None:
    rehearsal = dataclasses.replace(deps, wall=datetime_now)  # --now pins `clock`; sign-in ignores it

    signed = sign_in(rehearsal)

    assert deps.clock() < datetime_now() - timedelta(days=1), "the fixture's clock is a rehearsal instant"
    assert signed.session.expires_at > datetime_now()  # not expired "as of" a past instant
    assert auth.session_user(rehearsal, signed.token, POLICY) is not None


def datetime_now() -> datetime:
    return datetime.now(UTC)
