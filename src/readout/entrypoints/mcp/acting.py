"""Who a tool call acts as, and what it records: the caller resolved from the store on every call (an agent
with the person it acts for), the audit trail's ``via: mcp`` and ``on_behalf_of``, and the per-agent cap on
live holds (``READOUT_AGENT_MAX_HOLDS``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from readout.config import ConfigError
from readout.domain.audit import CHANNEL, CREDENTIAL, ON_BEHALF_OF, Credential
from readout.domain.holds import HoldStatus
from readout.domain.intervals import utc_text
from readout.domain.users import COORDINATORS, User
from readout.errors import NotFound, PermissionDenied
from readout.services.context import Deps

__all__ = [
    "DEFAULT_MAX_HOLDS",
    "MAX_HOLDS_ENV",
    "MCP_SCOPE",
    "Acting",
    "Caller",
    "acting",
    "agent_live_holds",
    "max_holds_from",
    "resolve",
]

MAX_HOLDS_ENV = "READOUT_AGENT_MAX_HOLDS"
DEFAULT_MAX_HOLDS = 3
VIA = "mcp"


def max_holds_from(environ: Mapping[str, str]) -> int:
    """The most live holds one agent may have across escalations; ConfigError (a bad setting, exit 2) naming
    the variable when it is not a whole number from 1 to 100."""
    text = environ.get(MAX_HOLDS_ENV, "").strip()
    if not text:
        return DEFAULT_MAX_HOLDS
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 100:
        raise ConfigError(f"{MAX_HOLDS_ENV}={text[:40]!r}: expected a whole number from 1 to 100")
    return value


MCP_SCOPE = "mcp"  # the API token scope the agent surface needs (domain/auth.py SCOPES)


@dataclass(frozen=True)
class Caller:
    """Who a transport says is calling: the user id (``--as`` over stdio, the token's user over HTTP), the
    credential it proved it with (``token <id>``; None over stdio, like the CLI's ``--as``) and its scopes."""

    user_id: str
    credential: str | None = None
    # The token's scopes over HTTP; None over stdio (the local operator names the user, as with --as).
    scopes: frozenset[str] | None = None


@dataclass(frozen=True)
class Acting:
    """The caller as the store has them now: the user, and for an agent the person it acts for."""

    user: User
    principal: User | None = None

    @property
    def words(self) -> str:
        """``Planning agent (agent) on behalf of Priya Shah`` or the person's name."""
        if self.principal is None:
            return self.user.name
        return f"{self.user.name} (agent) on behalf of {self.principal.name}"


def resolve(deps: Deps, caller: Caller) -> Acting:
    """The caller's user, read again on every call (roles, kind and principal may have changed); an agent
    whose principal is gone, is an agent, or holds no coordinator role is refused."""
    with deps.look() as uow:
        user = uow.users.get(caller.user_id)
        principal = uow.users.get(user.on_behalf_of) if user and user.on_behalf_of else None
    if user is None:
        raise NotFound(f"no user {caller.user_id!r} (import users with `readout users import FILE`)")
    if not user.is_agent:
        return Acting(user)
    if principal is None or principal.is_agent or not principal.roles & COORDINATORS:
        raise PermissionDenied(
            f"{user.name} is an agent acting on behalf of {user.on_behalf_of!r}, who is not (or no longer) a "
            "person holding a coordinator role: an administrator must fix the users file"
        )
    return Acting(user, principal)


@contextmanager
def acting(who: Acting, caller: Caller) -> Iterator[None]:
    """Run a tool call recording ``via: mcp``, the credential, and for an agent ``on_behalf_of``."""
    channel = CHANNEL.set(VIA)
    on_behalf = ON_BEHALF_OF.set(who.principal.id if who.principal else None)
    credential = CREDENTIAL.set(Credential(caller.credential))
    try:
        yield
    finally:
        CREDENTIAL.reset(credential)
        ON_BEHALF_OF.reset(on_behalf)
        CHANNEL.reset(channel)


def agent_live_holds(deps: Deps, agent_id: str) -> list[tuple[str, str]]:
    """The live holds the agent placed, across escalations, as (escalation id, start in UTC): a hold is the
    agent's when the newest ``hold_placed`` entry for its slot names the agent."""
    now = deps.clock()
    found: list[tuple[str, str]] = []
    with deps.look() as uow:
        for esc in uow.escalations.list():
            live = [h for h in uow.holds.of(esc.id) if h.status is HoldStatus.LIVE and h.is_live(now)]
            if not live:
                continue
            placed_by: dict[str, str] = {}
            for entry in uow.audit.entries(esc.id):
                start = entry.payload.get("start")
                if entry.kind == "hold_placed" and isinstance(start, str):
                    placed_by[start] = entry.actor
            for hold in live:
                start_text = utc_text(hold.slot.start) or ""
                if placed_by.get(start_text) == agent_id:
                    found.append((esc.id, start_text))
    return found
