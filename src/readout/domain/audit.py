"""The audit log: append-only, hash-chained per escalation, built from workflow events.

Each entry's hash covers its position, time, actor, kind, payload and the previous entry's hash, so
editing, deleting, inserting or reordering entries breaks the chain; the escalation keeps the head (count and
last hash) so that dropping the newest entries is caught too.

An entry's time is the instant it was recorded, from the wall clock, never the instant a command acted "as of"
(``--now``, or a case file's ``now:``): that one goes into the payload as ``as_of`` when it differs. Recorded
times never go backwards along a chain; ``verify_chain`` reports a chain whose times do.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = [
    "AS_OF",
    "CHANNEL",
    "CREDENTIAL",
    "GENESIS",
    "ON_BEHALF_OF",
    "AuditEntry",
    "Credential",
    "canonical_json",
    "chain",
    "entry_hash",
    "stamp",
    "verify_chain",
    "wall_clock",
]

GENESIS = "0" * 64
AS_OF = "as_of"  # payload key: the instant a command acted as of, when it was not the moment of recording
# How the acting person reached Readout, set by the entry point for what it runs: "cli" (the local operator,
# whose `--as` names them without a credential) or "api" (signed in with a session or a token). Recorded in
# every entry's payload as ``via`` when set; use cases called directly (tests, the worker) leave it unset.
CHANNEL: ContextVar[str | None] = ContextVar("readout_channel", default=None)
# When the actor is an agent (docs/agents.md), the named user it acts for: recorded in each entry's payload as
# ``on_behalf_of``, so the trail reads "agent X on behalf of Y". Set by the agent's entry point per call.
ON_BEHALF_OF: ContextVar[str | None] = ContextVar("readout_on_behalf_of", default=None)


@dataclass(slots=True)
class Credential:
    """Which credential a request over the API acted with, named for the audit trail (``credential`` in
    each entry's payload): ``token <id>`` (the id ``readout tokens list`` shows) or ``session <first 12
    characters of its digest>``; never a secret. A box the HTTP entry point sets per request and fills in
    once the request is signed in (sign-in runs in a copy of the request's context, which shares the box)."""

    name: str | None = None


CREDENTIAL: ContextVar[Credential | None] = ContextVar("readout_credential", default=None)
_SAME_MOMENT = timedelta(seconds=1)  # an "as of" this close to the recording time is the recording time


def wall_clock() -> datetime:
    """The instant of recording: the real clock in UTC (a module function so that tests may replace it)."""
    return datetime.now(UTC)


def stamp(
    as_of: datetime, payload: dict[str, Any], after: datetime | None = None
) -> tuple[datetime, dict[str, Any]]:
    """The recorded time of an entry decided ``as_of``, and its payload: the wall clock (never before
    ``after``, the previous entry's time), with ``as_of`` added to the payload when it is not that moment."""
    at = wall_clock()
    if after is not None and at < after:
        at = after
    if abs(at - as_of) >= _SAME_MOMENT:
        payload = {**payload, AS_OF: as_of.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    channel = CHANNEL.get()
    if channel is not None:
        payload = {**payload, "via": channel}
    principal = ON_BEHALF_OF.get()
    if principal is not None:
        payload = {**payload, "on_behalf_of": principal}
    credential = CREDENTIAL.get()
    if credential is not None and credential.name:
        payload = {**payload, "credential": credential.name}
    return at, payload


def canonical_json(payload: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


@dataclass(frozen=True)
class AuditEntry:
    """One link of an escalation's audit chain."""

    escalation_id: str
    seq: int
    at: datetime
    actor: str
    kind: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str


def entry_hash(
    escalation_id: str, seq: int, at: datetime, actor: str, kind: str, payload: dict[str, Any], prev: str
) -> str:
    """SHA-256 over the entry's canonical form and the previous hash."""
    body = canonical_json(
        {
            "escalation": escalation_id,
            "seq": seq,
            "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": actor,
            "kind": kind,
            "payload": payload,
            "prev": prev,
        }
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def chain(
    head_seq: int,
    head_hash: str,
    escalation_id: str,
    at: datetime,
    actor: str,
    kind: str,
    payload: dict[str, Any],
) -> AuditEntry:
    """The entry that follows the chain's head (``head_seq`` 0 and GENESIS for the first entry)."""
    seq, prev = head_seq + 1, head_hash
    # Round-trip the payload so that what is hashed is exactly what a JSON column gives back.
    payload = json.loads(canonical_json(payload))
    digest = entry_hash(escalation_id, seq, at, actor, kind, payload, prev)
    return AuditEntry(escalation_id, seq, at, actor, kind, payload, prev, digest)


def verify_chain(entries: Sequence[AuditEntry], head_seq: int, head_hash: str) -> list[str]:
    """Problems found in one escalation's entries (in stored order); empty when the chain is intact."""
    problems: list[str] = []
    prev = GENESIS
    before: AuditEntry | None = None
    for position, entry in enumerate(entries, 1):
        if before is not None and entry.at < before.at:
            problems.append(
                f"entry {entry.seq}: recorded at {_utc(entry.at)}, before entry {before.seq} "
                f"({_utc(before.at)}): recorded times go backwards"
            )
        before = entry
        if entry.seq != position:
            problems.append(
                f"entry {position}: sequence {entry.seq} out of place (deleted, inserted or reordered)"
            )
        if entry.prev_hash != prev:
            problems.append(f"entry {entry.seq}: does not follow the entry before it")
        recomputed = entry_hash(
            entry.escalation_id, entry.seq, entry.at, entry.actor, entry.kind, entry.payload, entry.prev_hash
        )
        if recomputed != entry.hash:
            problems.append(f"entry {entry.seq}: content does not match its hash (edited)")
        prev = entry.hash
    if len(entries) != head_seq or prev != (head_hash if head_seq else GENESIS):
        problems.append(
            f"chain ends at entry {len(entries)} but the escalation records {head_seq} (entries lost)"
        )
    return problems


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
