"""The audit log: append-only, hash-chained per escalation, built from workflow events.

Each entry's hash covers its position, time, actor, kind, payload and the previous entry's hash, so
editing, deleting, inserting or reordering entries breaks the chain; the escalation keeps the head (count and
last hash) so that dropping the newest entries is caught too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = ["GENESIS", "AuditEntry", "canonical_json", "chain", "entry_hash", "verify_chain"]

GENESIS = "0" * 64


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
    for position, entry in enumerate(entries, 1):
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
