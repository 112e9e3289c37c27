"""Conditional requests on an escalation: its ``ETag`` and the ``If-Match`` check that keeps a stale client
from changing a newer version (RFC 9110 section 13).

The entity tag names the escalation's stored version and its audit chain's head: every change to an
escalation (a plan, a hold, a decision, a new case version) bumps the one and extends the other.
"""

from __future__ import annotations

from readout.domain.escalation import Escalation
from readout.entrypoints.http.problems import Problem
from readout.services.context import Deps, load_escalation

__all__ = ["check_if_match", "current_etag", "etag"]


def etag(esc: Escalation) -> str:
    """The strong entity tag of the escalation as stored (quoted, as the header carries it)."""
    return f'"{esc.version}-{esc.audit_seq}-{esc.audit_head[:16]}"'


def current_etag(deps: Deps, escalation_id: str) -> str:
    """The tag of the escalation as stored now; NotFound when there is none."""
    with deps.look() as uow:
        return etag(load_escalation(uow, escalation_id))


def _tags(header: str) -> list[str]:
    return [part.strip() for part in header.split(",") if part.strip()]


def check_if_match(deps: Deps, escalation_id: str, if_match: str | None) -> None:
    """Nothing when ``If-Match`` is absent, ``*`` or names the current tag; 412 when it is stale (a weak tag
    never matches: If-Match compares strongly). NotFound (404) when the escalation does not exist."""
    current = current_etag(deps, escalation_id)
    if if_match is None:
        return
    tags = _tags(if_match)
    if "*" in tags or current in tags:
        return
    raise Problem(
        412,
        "stale",
        "The escalation changed since you read it",
        f"If-Match {if_match} is not the escalation's current version {current}: read it again "
        f"(GET /v1/escalations/{escalation_id}) and decide on what it says now",
        etag=current,
    )
