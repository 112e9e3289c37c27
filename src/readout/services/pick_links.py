"""Use cases: the customer's pick link. A coordinator (who may hold) creates a signed, expiring link for one
escalation, and may revoke it; the customer's incident manager opens it without an account, sees the purpose,
the roles invited and the options held right now, in their own time zone, and picks one or says none works,
with an optional note.

The link is its random token (256 bits); only its SHA-256 is stored, and a presented token is found by that
digest (so comparing never leaks how much of a guess was right). A token of the wrong shape is refused before
the store is read. A link answers once; an answer is recorded on the escalation's audit chain (with the link's
id, never its token) and shown to the coordinators, and confirms nothing: a coordinator still confirms.
Creating and revoking are audited too. Nothing is sent to anyone: the coordinator copies the link.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from readout.domain.auth import digest, same_digest
from readout.domain.escalation import Escalation
from readout.domain.holds import Hold
from readout.domain.intervals import Interval, utc_text
from readout.domain.names import ROLES
from readout.domain.pick_links import (
    DEFAULT_TTL,
    MAX_NOTE,
    Answer,
    LinkState,
    PickLink,
    looks_like_token,
    ttl_problem,
)
from readout.domain.users import Permission
from readout.errors import NotFound, Refused
from readout.services.context import Deps, actor, load_escalation, slot_text
from readout.services.ports import UnitOfWork
from readout.services.queries import zones_of_document

__all__ = [
    "CUSTOMER",
    "CreatedLink",
    "LinkClosed",
    "NotAValidLink",
    "PublicView",
    "answer_link",
    "create_link",
    "links_of",
    "revoke_link",
    "view_link",
]

CUSTOMER = "customer"  # the actor of an answer given through a link (no account: the link's id is recorded)
_CONTACT = "customer_incident_manager"


class NotAValidLink(NotFound):
    """The token is not one of a pick link (wrong shape, or no link has it)."""

    def __init__(self) -> None:
        super().__init__("not a valid link: check that the whole link was copied")


class LinkClosed(Refused):
    """The link was used, revoked or has expired: it accepts nothing."""

    def __init__(self, state: LinkState) -> None:
        super().__init__(f"this link was {state.value}: it accepts nothing more")
        self.state = state


@dataclass(frozen=True)
class CreatedLink:
    """A new link and its token: the only time the token is known (only its digest is stored)."""

    link: PickLink
    token: str


@dataclass(frozen=True)
class PublicView:
    """What the public page may show: the purpose, the roles invited, and the options held now. Never the
    escalation's summary, nor anyone's name or calendar."""

    link: PickLink
    state: LinkState
    purpose: str
    modality: str
    duration_minutes: int | None
    roles: tuple[str, ...]  # role keys invited (ROLES, and "interpreter" when a language is asked for)
    options: tuple[Interval, ...]  # live holds now, earliest first (empty unless the link is open)
    zone: str  # the customer's incident manager's zone (else the customer's)
    contract_zone: str
    closed: str | None = None  # why nothing can be picked although the link is open (a final readout)


def create_link(deps: Deps, escalation_id: str, user_id: str, ttl: timedelta | None = None) -> CreatedLink:
    """A new pick link for the escalation's live holds, expiring after ``ttl`` (default 72 h, at most 14
    days); the token is returned once."""
    now, ttl = deps.clock(), ttl if ttl is not None else DEFAULT_TTL
    problem = ttl_problem(ttl)
    if problem:
        raise Refused(problem)
    with deps.uow() as uow:
        user = actor(uow, user_id, Permission.HOLD)
        esc = load_escalation(uow, escalation_id)
        if esc.is_final:
            raise Refused(f"{esc.id} is {esc.state.value}: there is nothing left for the customer to pick")
        live = _live(uow, esc, now)
        if not live:
            raise Refused(f"{esc.id} has no live hold: hold slots first (the link offers only held options)")
        token = secrets.token_urlsafe(32)
        link_id = secrets.token_hex(6)
        while uow.pick_links.get(link_id) is not None:
            link_id = secrets.token_hex(6)
        link = PickLink(link_id, esc.id, digest(token), now, user.id, now + ttl)
        options = [slot_text(h.slot) for h in live]
        esc.record(
            now,
            user.id,
            "pick_link_created",
            {"link": link_id, "expires_at": utc_text(link.expires_at), "options": options},
        )
        uow.pick_links.add(link)
        uow.escalations.save(esc)
        uow.commit()
    return CreatedLink(link, token)


def revoke_link(deps: Deps, escalation_id: str, link_id: str, user_id: str) -> PickLink:
    """Revoke an open link of the escalation: it accepts nothing more."""
    now = deps.clock()
    with deps.uow() as uow:
        user = actor(uow, user_id, Permission.HOLD)
        esc = load_escalation(uow, escalation_id)
        link = uow.pick_links.get(link_id)
        if link is None or link.escalation_id != esc.id:
            raise NotFound(f"{esc.id} has no pick link {link_id!r}")
        state = link.state(now)
        if state is not LinkState.OPEN:
            raise Refused(f"pick link {link.id} was already {state.value}: nothing to revoke")
        link = link.revoked(now, user.id)
        uow.pick_links.update(link)
        esc.record(now, user.id, "pick_link_revoked", {"link": link.id})
        uow.escalations.save(esc)
        uow.commit()
    return link


def links_of(deps: Deps, escalation_id: str) -> list[PickLink]:
    """The escalation's pick links (never their tokens), oldest first."""
    with deps.look() as uow:
        load_escalation(uow, escalation_id)
        return uow.pick_links.of(escalation_id)


def _found(uow: UnitOfWork, token: str) -> PickLink:
    """The link of ``token``; NotAValidLink for a token of the wrong shape (before the store is read) or
    one no link has."""
    if not looks_like_token(token):
        raise NotAValidLink()
    link = uow.pick_links.by_token_hash(digest(token))
    if link is None or not same_digest(token, link.token_hash):
        raise NotAValidLink()
    return link


def view_link(deps: Deps, token: str) -> PublicView:
    """What the public page shows for ``token`` (reads only: opening the link twice changes nothing)."""
    now = deps.clock()
    if not looks_like_token(token):
        raise NotAValidLink()
    with deps.look() as uow:
        link = _found(uow, token)
        esc = load_escalation(uow, link.escalation_id)
        stored = uow.cases.latest(esc.id)
        body: Mapping[str, Any] = stored.document.body if stored is not None else {}
        state = link.state(now)
        options = tuple(h.slot for h in _live(uow, esc, now)) if state is LinkState.OPEN else ()
    zones = zones_of_document(body)
    contact = zones.of(_CONTACT)
    customer = _section(body, "customer")
    readout = _section(body, "escalation", "readout")
    name = _text(customer.get("name")) or esc.customer_id
    duration = readout.get("duration_minutes")
    roles = (*ROLES, "interpreter") if _text(readout.get("language")) else ROLES
    return PublicView(
        link=link,
        state=state,
        purpose=f"Root-cause analysis readout, {name}",  # as the invite packet says it
        modality=_text(readout.get("modality")) or "video",
        duration_minutes=duration if isinstance(duration, int) else None,
        roles=roles,
        options=options,
        zone=contact.zone if contact else _text(customer.get("timezone")) or zones.contract,
        contract_zone=zones.contract,
        closed=f"this readout is {esc.state.value}: nothing is left to pick" if esc.is_final else None,
    )


def answer_link(deps: Deps, token: str, start: datetime | None, note: str = "") -> PickLink:
    """Record the customer's answer: the held option starting at ``start``, or none works (``start`` None),
    with ``note``. LinkClosed when the link was used, revoked or expired; Refused when that option is no
    longer held. Confirms nothing."""
    now = deps.clock()
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise Refused(f"the note is {len(note)} characters long: at most {MAX_NOTE}, please shorten it")
    if not looks_like_token(token):
        raise NotAValidLink()
    with deps.uow() as uow:
        found = _found(uow, token)
        esc = load_escalation(uow, found.escalation_id)  # locks the escalation: answers take turns
        link = uow.pick_links.get(found.id) or found
        state = link.state(now)
        if state is not LinkState.OPEN:
            raise LinkClosed(state)
        if esc.is_final:
            raise Refused(f"this readout is {esc.state.value}: nothing is left to pick")
        picked = _held(uow, esc, now, start) if start is not None else None
        link = link.answered(now, picked, note)
        uow.pick_links.update(link)
        payload: dict[str, Any] = {"link": link.id, "with_note": bool(note)}
        if picked is not None:
            payload.update(slot_text(picked))
        kind = "customer_picked" if link.answer is Answer.PICKED else "customer_declined"
        esc.record(now, CUSTOMER, kind, payload)
        uow.escalations.save(esc)
        uow.commit()
    return link


def _held(uow: UnitOfWork, esc: Escalation, now: datetime, start: datetime) -> Interval:
    """The live hold's slot starting at ``start``; Refused when no live hold starts then."""
    for hold in _live(uow, esc, now):
        if hold.slot.start == start:
            return hold.slot
    raise Refused("that option is no longer held: pick one of the options shown now, or say none works")


def _live(uow: UnitOfWork, esc: Escalation, now: datetime) -> list[Hold]:
    return sorted((h for h in uow.holds.of(esc.id) if h.is_live(now)), key=lambda h: h.slot.start)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _section(body: Mapping[str, Any], *path: str) -> Mapping[str, Any]:
    node: Any = body
    for key in path:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node if isinstance(node, Mapping) else {}
