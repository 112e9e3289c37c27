"""Use cases of signing in: passwords, sessions, API tokens, and who may manage them.

* A password is set by the user themself or by an administrator; it is stored as an argon2id hash and
  re-hashed at the next sign-in when the hasher's parameters change. Setting it ends the user's sessions.
* Signing in counts the attempt as a failure *before* checking it (so parallel guesses cannot slip past the
  limit), then takes it back when the password was right; a key that failed too often must wait
  (``readout.domain.auth.wait_after``). An unknown user costs the same argon2 check as a known one.
* A session is a random token in a cookie; the store keeps only its SHA-256. Every sign-in makes a new one
  and ends the session the browser already had (rotation).
* An API token is ``rdt_`` + id + secret, shown once; the store keeps its SHA-256, scopes and expiry.
* Nobody signs in as, or holds a credential of, Readout's own automatic actor (``SYSTEM``).

Every change to a credential made by a person (password set, token created or revoked, sessions revoked)
is an entry of the users chain, recorded at the real time.
"""

from __future__ import annotations

import functools
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from readout.domain.audit import AuditEntry, chain, stamp
from readout.domain.auth import (
    ADDRESS_FREE_FAILURES,
    FAILURE_MEMORY,
    SCOPES,
    SESSION_ABSOLUTE,
    SESSION_IDLE,
    SESSION_SCOPES,
    USER_FREE_FAILURES,
    ApiToken,
    PasswordRecord,
    Session,
    digest,
    parse_token,
    same_digest,
    token_text,
    wait_after,
)
from readout.domain.intervals import utc_text
from readout.domain.roster import USERS_CHAIN
from readout.domain.users import SYSTEM, Permission, User, may
from readout.errors import NotFound, PermissionDenied, ReadoutError, Refused
from readout.services.context import Deps, actor
from readout.services.ports import UnitOfWork

__all__ = [
    "DEFAULT_TOKEN_DAYS",
    "MAX_TOKEN_DAYS",
    "PASSWORD_SET",
    "SESSIONS_REVOKED",
    "SESSION_SCOPES",
    "TOKEN_CREATED",
    "TOKEN_REVOKED",
    "NewToken",
    "SessionPolicy",
    "SignInFailed",
    "SignedIn",
    "TooManyAttempts",
    "create_token",
    "list_tokens",
    "revoke_sessions",
    "revoke_token",
    "session_user",
    "set_password",
    "sign_in",
    "sign_out",
    "token_user",
]

# Kinds of the users chain's entries that record credential changes.
PASSWORD_SET = "password_set"
TOKEN_CREATED = "token_created"
TOKEN_REVOKED = "token_revoked"
SESSIONS_REVOKED = "sessions_revoked"

MIN_PASSWORD, MAX_PASSWORD = 12, 1024  # characters
DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS = 90, 365
MAX_TOKEN_NAME = 100
TOUCH_EVERY = timedelta(minutes=1)  # a credential's last use is written at most this often
_MAX_KEY = 200  # characters of a user id or address kept as a throttle key


class SignInFailed(ReadoutError):
    """Wrong user or password (which one is never said)."""


class TooManyAttempts(Refused):
    """Too many failed sign-ins for this user or address: wait ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed sign-ins: try again in {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class SessionPolicy:
    """How long sessions last, and the password hasher (argon2id; its parameters decide re-hashing)."""

    idle: timedelta = SESSION_IDLE
    absolute: timedelta = SESSION_ABSOLUTE
    hasher: PasswordHasher | None = None

    @property
    def passwords(self) -> PasswordHasher:
        """The hasher to use (argon2-cffi's defaults, RFC 9106's low-memory profile, when not given)."""
        return self.hasher or _default_hasher()


@functools.cache
def _default_hasher() -> PasswordHasher:
    return PasswordHasher()


@functools.cache
def _decoy(hasher: PasswordHasher) -> str:
    """A hash of nothing anyone knows, checked when the user has no password, so that an unknown user costs
    the same time as a wrong password."""
    return hasher.hash(secrets.token_urlsafe(32))


_DECOY_DIGEST = digest(secrets.token_urlsafe(32))


@dataclass(frozen=True)
class SignedIn:
    """A new session: the cookie's token (given to the browser, never stored) and the session."""

    user: User
    token: str
    session: Session


@dataclass(frozen=True)
class NewToken:
    """A new API token: the stored record and the text shown once to its holder."""

    token: ApiToken
    text: str


def _password_ok(hasher: PasswordHasher, stored: str, password: str) -> bool:
    try:
        return hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _waiting(uow: UnitOfWork, key: str, free: int, now: datetime) -> float:
    counted = uow.login_throttle.failures(key)
    if counted is None or now - counted[1] >= FAILURE_MEMORY:
        return 0.0
    return max((counted[1] + wait_after(counted[0], free) - now).total_seconds(), 0.0)


def sign_in(
    deps: Deps,
    user_id: str,
    password: str,
    address: str,
    *,
    replacing: str | None = None,
    policy: SessionPolicy | None = None,
) -> SignedIn:
    """Check ``user_id``'s password and start a session, ending the one whose token is ``replacing``.

    SignInFailed for a wrong user or password; TooManyAttempts while the user or the address must wait.
    """
    policy = policy or SessionPolicy()
    now = deps.wall()
    plausible = _plausible(user_id)
    keys = (
        (f"user:{_key(user_id)}", USER_FREE_FAILURES),
        (f"address:{_key(address)}", ADDRESS_FREE_FAILURES),
    )
    with deps.uow() as uow:  # count the attempt first: parallel guesses take turns on the key's row
        wait = max(_waiting(uow, key, free, now) for key, free in keys)
        if wait > 0:
            raise TooManyAttempts(math.ceil(wait))
        for key, _ in keys:
            uow.login_throttle.fail(key, now, now - FAILURE_MEMORY)
        uow.login_throttle.prune(now - FAILURE_MEMORY)
        user = uow.users.get(user_id) if plausible and user_id != SYSTEM.id else None
        record = uow.passwords.get(user_id) if user is not None else None
        uow.commit()
    hasher = policy.passwords
    right = len(password) <= MAX_PASSWORD and _password_ok(
        hasher, record.hash if record else _decoy(hasher), password
    )
    if user is None or record is None or not right:
        raise SignInFailed("wrong user or password")
    rehashed = hasher.hash(password) if _needs_rehash(hasher, record.hash) else None

    def settle_password(uow: UnitOfWork) -> None:  # in the session's transaction: the sign-in succeeded
        uow.login_throttle.clear(keys[0][0])
        uow.login_throttle.forgive(keys[1][0])
        if rehashed is not None:
            uow.passwords.put(replace(record, hash=rehashed))

    return start_session(deps, user, replacing=replacing, policy=policy, also=settle_password)


def start_session(
    deps: Deps,
    user: User,
    *,
    replacing: str | None = None,
    policy: SessionPolicy | None = None,
    also: Callable[[UnitOfWork], None] | None = None,
) -> SignedIn:
    """A new session for ``user`` (whose credentials were checked: a password, an OIDC ID token), ending the
    one whose token is ``replacing`` (rotation at sign-in); ``also`` runs in the same transaction. Only the
    token's digest is stored. SignInFailed when the user is gone meanwhile, or is Readout's own actor."""
    policy = policy or SessionPolicy()
    if user.id == SYSTEM.id:
        raise SignInFailed("nobody signs in as Readout's own actor")
    now = deps.wall()
    token = secrets.token_urlsafe(32)
    session = Session(digest(token), user.id, now, now, now + policy.absolute)
    with deps.uow() as uow:
        if uow.users.get(user.id) is None:
            raise SignInFailed("wrong user or password")
        if also is not None:
            also(uow)
        if replacing:
            old = uow.sessions.get(digest(replacing))
            if old is not None and old.revoked_at is None:
                uow.sessions.update(old.revoked(now, user.id))
        uow.sessions.add(session)
        uow.commit()
    return SignedIn(user, token, session)


def _plausible(text: str) -> bool:
    """Whether ``text`` could be a user id at all (no store is asked about anything else)."""
    return 0 < len(text) <= _MAX_KEY and text.isprintable()


def _key(text: str) -> str:
    """``text`` as a throttle key: as it is when plausible, else its digest (no NUL, no megabyte keys)."""
    return text if _plausible(text) else digest(text.encode("utf-8", "replace").decode("utf-8"))


def _needs_rehash(hasher: PasswordHasher, stored: str) -> bool:
    try:
        return hasher.check_needs_rehash(stored)
    except (InvalidHashError, ValueError):
        return True


def sign_out(deps: Deps, token: str) -> None:
    """End the session whose cookie token is ``token`` (already ended or unknown: nothing to do)."""
    if not token:
        return
    now = deps.wall()
    with deps.uow() as uow:
        session = uow.sessions.get(digest(token))
        if session is not None and session.revoked_at is None:
            uow.sessions.update(session.revoked(now, session.user_id))
            uow.commit()


def session_user(deps: Deps, token: str, policy: SessionPolicy | None = None) -> tuple[User, Session] | None:
    """The user and live session of a cookie token, or None (unknown, revoked, idle too long, expired)."""
    policy = policy or SessionPolicy()
    now = deps.wall()
    with deps.look() as uow:
        session = uow.sessions.get(digest(token))
        if session is None or not session.live(now, policy.idle):
            return None
        user = uow.users.get(session.user_id) if session.user_id != SYSTEM.id else None
    if user is None:
        return None
    if now - session.last_seen_at >= TOUCH_EVERY:
        with deps.uow() as uow:
            uow.sessions.touch(session.id, now)
            uow.commit()
    return user, session


def token_user(deps: Deps, text: str) -> tuple[User, ApiToken] | None:
    """The user and live token of a presented API token, or None (malformed, unknown, wrong secret,
    expired, revoked, or its user is gone)."""
    parsed = parse_token(text)
    if parsed is None:
        return None
    token_id, secret = parsed
    now = deps.wall()
    with deps.look() as uow:
        token = uow.tokens.get(token_id)
        right = same_digest(secret, token.secret_hash if token else _DECOY_DIGEST)
        if token is None or not right or not token.live(now):
            return None
        user = uow.users.get(token.user_id) if token.user_id != SYSTEM.id else None
    if user is None:
        return None
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        with deps.uow() as uow:
            uow.tokens.touch(token.id, now)
            uow.commit()
    return user, token


def _authorised(uow: UnitOfWork, actor_id: str, user_id: str, what: str) -> tuple[User, User]:
    """The acting user and the user whose credentials change: the user themself or an administrator."""
    if user_id == SYSTEM.id:
        raise Refused(f"{SYSTEM.id!r} is Readout's own automatic actor: nobody signs in as it")
    by = actor(uow, actor_id)
    target = uow.users.get(user_id)
    if target is None:
        raise NotFound(f"no user {user_id!r} (import users with `readout users import FILE`)")
    if by.id != target.id and not may(by, Permission.MANAGE_USERS):
        raise PermissionDenied(f"{by.name} may {what} only for themself: an administrator does it for others")
    return by, target


def _record(uow: UnitOfWork, now: datetime, by: str, kind: str, payload: dict[str, Any]) -> AuditEntry:
    head = uow.user_audit.head()
    if head is None:
        raise Refused("the users chain has lost its head: see `readout audit verify`; nothing changed")
    at, stamped = stamp(now, payload)
    entry = chain(*head, USERS_CHAIN, at, by, kind, stamped)
    uow.user_audit.append(entry)
    return entry


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise Refused(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise Refused(f"a password may have at most {MAX_PASSWORD} characters")
    if not password.strip():
        raise Refused("a password may not be only spaces")


def set_password(
    deps: Deps, user_id: str, password: str, actor_id: str, policy: SessionPolicy | None = None
) -> AuditEntry:
    """Set ``user_id``'s password (the user themself, or an administrator); ends their sessions."""
    _check_password(password)
    hashed = (policy or SessionPolicy()).passwords.hash(password)
    now = deps.wall()
    with deps.uow() as uow:
        uow.user_audit.head()  # first: changes to users take turns from here
        by, target = _authorised(uow, actor_id, user_id, "set a password")
        ended = uow.sessions.revoke_user(target.id, now, by.id)
        uow.passwords.put(PasswordRecord(target.id, hashed, now, by.id))
        entry = _record(uow, now, by.id, PASSWORD_SET, {"user": target.id, "sessions_revoked": ended})
        uow.commit()
    return entry


def revoke_sessions(deps: Deps, user_id: str, actor_id: str) -> int:
    """End every session of ``user_id`` (the user themself, or an administrator); how many were live."""
    now = deps.wall()
    with deps.uow() as uow:
        uow.user_audit.head()
        by, target = _authorised(uow, actor_id, user_id, "end sessions")
        ended = uow.sessions.revoke_user(target.id, now, by.id)
        _record(uow, now, by.id, SESSIONS_REVOKED, {"user": target.id, "sessions": ended})
        uow.commit()
    return ended


def _check_scopes(scopes: frozenset[str]) -> None:
    if not scopes:
        raise Refused(f"a token needs at least one scope ({', '.join(SCOPES)})")
    unknown = sorted(scopes - SCOPES.keys())
    if unknown:
        raise Refused(f"unknown scope {', '.join(map(repr, unknown))}: the scopes are {', '.join(SCOPES)}")


def _check_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise Refused("a token needs a name (what it is for: --name)")
    if len(name) > MAX_TOKEN_NAME or not name.isprintable():
        raise Refused(f"a token's name is at most {MAX_TOKEN_NAME} printable characters")
    return name


def create_token(
    deps: Deps,
    user_id: str,
    name: str,
    scopes: frozenset[str],
    days: int,
    actor_id: str,
) -> NewToken:
    """A new API token acting as ``user_id`` (created by the user themself, or an administrator)."""
    name = _check_name(name)
    _check_scopes(scopes)
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise Refused(f"a token expires after 1 to {MAX_TOKEN_DAYS} days")
    now = deps.wall()
    secret = secrets.token_urlsafe(32)
    with deps.uow() as uow:
        uow.user_audit.head()
        by, target = _authorised(uow, actor_id, user_id, "create API tokens")
        token_id = secrets.token_hex(6)
        while uow.tokens.get(token_id) is not None:  # 48 random bits: practically never
            token_id = secrets.token_hex(6)
        token = ApiToken(
            token_id, target.id, name, digest(secret), scopes, now, by.id, now + timedelta(days=days)
        )
        uow.tokens.add(token)
        payload = {
            "user": target.id,
            "token": token_id,
            "name": name,
            "scopes": sorted(scopes),
            "expires_at": utc_text(token.expires_at),
        }
        _record(uow, now, by.id, TOKEN_CREATED, payload)
        uow.commit()
    return NewToken(token, token_text(token_id, secret))


def revoke_token(deps: Deps, token_id: str, actor_id: str) -> ApiToken:
    """Revoke an API token (its user, or an administrator); Refused when it already is."""
    now = deps.wall()
    with deps.uow() as uow:
        uow.user_audit.head()
        token = uow.tokens.get(token_id.strip())
        if token is None:
            raise NotFound(f"no API token {token_id!r} (see `readout tokens list`)")
        by, _ = _authorised(uow, actor_id, token.user_id, "revoke API tokens")
        if token.revoked_at is not None:
            raise Refused(f"API token {token.id} was already revoked at {utc_text(token.revoked_at)}")
        revoked = replace(token, revoked_at=now, revoked_by=by.id)
        uow.tokens.update(revoked)
        _record(
            uow, now, by.id, TOKEN_REVOKED, {"user": token.user_id, "token": token.id, "name": token.name}
        )
        uow.commit()
    return revoked


def list_tokens(deps: Deps, user_id: str | None = None) -> list[ApiToken]:
    """API tokens (never their secrets), of one user or everyone, oldest first."""
    with deps.look() as uow:
        if user_id is not None and uow.users.get(user_id) is None:
            raise NotFound(f"no user {user_id!r}")
        return uow.tokens.of(user_id)
