"""Use cases of signing in through an OpenID Connect provider, once its ID token has been validated
(entrypoints/http/oidc.py checks issuer, audience, expiry, nonce and signature).

* An OIDC sign-in only **matches** a user imported with `readout users import`, by e-mail address (compared
  without regard to case); it never creates one. The provider must say the address is verified
  (``email_verified``), its domain must be allowed (``READOUT_OIDC_ALLOWED_DOMAINS``, when set), and exactly
  one user may have it. Readout's own actor (``readout``) is never matched.
* With a role claim configured (``READOUT_OIDC_ROLE_CLAIM`` and ``READOUT_OIDC_ROLE_MAP``), the roles the
  claim maps to replace the user's roles at sign-in, except ``administrator``, which only an import grants or
  removes. A change is an entry of the users chain (kind ``oidc_roles``, actor: the user signing in), with
  the same per-user payload as an import, so ``readout audit verify`` checks it like one.
* The session is the same server-side session a password sign-in starts (``services.auth``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from readout.config import OidcSettings
from readout.domain.audit import chain, stamp
from readout.domain.roster import USERS_CHAIN, import_changes, import_payload
from readout.domain.users import SYSTEM, Role, User
from readout.errors import ReadoutError, Refused
from readout.services import auth
from readout.services.context import Deps

__all__ = ["OIDC_ROLES", "Identity", "OidcRefused", "mapped_roles", "match_user", "sign_in", "start_session"]

OIDC_ROLES = "oidc_roles"  # the kind of the users chain's entry recording roles a provider's claim changed
_MAX_CLAIM_VALUES = 200


class OidcRefused(ReadoutError):
    """The provider's identity does not sign anyone in; the message says why without quoting tokens."""


@dataclass(frozen=True)
class Identity:
    """What a validated ID token says about who signed in."""

    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    claims: dict[str, Any]


def _domain(email: str) -> str:
    return email.rpartition("@")[2].lower().rstrip(".")


def mapped_roles(settings: OidcSettings, claims: dict[str, Any]) -> frozenset[Role] | None:
    """The roles the configured claim maps to (None: no role claim configured). A claim that is missing,
    or not a string or a list of strings, maps to no role."""
    if settings.role_claim is None:
        return None
    value = claims.get(settings.role_claim)
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    roles: set[Role] = set()
    for item in values[:_MAX_CLAIM_VALUES]:
        if isinstance(item, str):
            roles.update(Role(role) for role in settings.role_map.get(item, ()))
    return frozenset(roles)


def match_user(deps: Deps, identity: Identity, settings: OidcSettings) -> User:
    """The one Readout user the identity's verified e-mail address names; OidcRefused otherwise."""
    email = (identity.email or "").strip()
    if not email or "@" not in email:
        raise OidcRefused("the provider sent no e-mail address (ask for the `email` scope)")
    if not identity.email_verified:
        raise OidcRefused("the provider does not say the e-mail address is verified")
    if settings.allowed_domains and _domain(email) not in settings.allowed_domains:
        raise OidcRefused("the e-mail address's domain may not sign in here (READOUT_OIDC_ALLOWED_DOMAINS)")
    wanted = email.casefold()
    with deps.look() as uow:
        found = [u for u in uow.users.list() if u.id != SYSTEM.id and u.email.strip().casefold() == wanted]
    if len(found) != 1:
        # One message for none and several: an answer never tells which addresses Readout knows.
        raise OidcRefused("no Readout user has this e-mail address (an administrator imports users)")
    return found[0]


def _sync_roles(deps: Deps, user: User, roles: frozenset[Role], issuer: str) -> User:
    """``user`` with ``roles`` (their administrator role kept), recorded in the users chain when changed."""
    now = deps.wall()
    with deps.uow() as uow:
        head = uow.user_audit.head()  # first: changes to users take turns from here
        if head is None:
            raise Refused("the users chain has lost its head: see `readout audit verify`; nobody signed in")
        current = uow.users.get(user.id)
        if current is None:
            raise OidcRefused("no Readout user has this e-mail address (an administrator imports users)")
        wanted = roles | (current.roles & {Role.ADMINISTRATOR})
        if wanted == current.roles:
            return current
        changed = User(current.id, current.name, current.email, wanted)
        changes = import_changes(uow.users.list(), [changed])
        for change in changes:
            uow.users.put(change.new)
        payload = {**import_payload(changes, False), "issuer": issuer}
        at, stamped = stamp(now, payload)
        uow.user_audit.append(chain(*head, USERS_CHAIN, at, current.id, OIDC_ROLES, stamped))
        uow.commit()
    return changed


def sign_in(
    deps: Deps,
    identity: Identity,
    settings: OidcSettings,
    *,
    replacing: str | None = None,
    policy: auth.SessionPolicy | None = None,
) -> auth.SignedIn:
    """Start a session for the user the validated ``identity`` names (their roles first brought in line with
    the role claim, when one is configured), ending the session whose token is ``replacing``."""
    if identity.issuer != settings.issuer:
        raise OidcRefused("the ID token is from another issuer")
    user = match_user(deps, identity, settings)
    roles = mapped_roles(settings, identity.claims)
    if roles is not None:
        user = _sync_roles(deps, user, roles, settings.issuer)
    return start_session(deps, user, replacing=replacing, policy=policy)


def start_session(
    deps: Deps, user: User, *, replacing: str | None = None, policy: auth.SessionPolicy | None = None
) -> auth.SignedIn:
    """A new session for ``user`` (``services.auth.start_session``, the same as after a password), ending the
    one whose token is ``replacing``; OidcRefused when the user is gone or is Readout's own actor."""
    if user.id == SYSTEM.id:
        raise OidcRefused("nobody signs in as Readout's own actor")
    try:
        return auth.start_session(deps, user, replacing=replacing, policy=policy)
    except auth.SignInFailed:
        raise OidcRefused(
            "no Readout user has this e-mail address (an administrator imports users)"
        ) from None
