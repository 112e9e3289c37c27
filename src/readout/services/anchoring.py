"""Anchors outside the log, the self-describing export, and the checks ``audit verify`` adds to the chains.

Each escalation's chain and its stored head live in the same database: someone who can write there can cut a
tail and move the head back, or re-hash a whole history, and every chain still verifies. An anchor is the
heads (seq and hash of every escalation chain and of the users chain) written somewhere else: a JSON Lines
file the operator keeps (appended and fsync'd) and, when one is configured, the leadership channel.
``verify_anchors`` then asks of every anchored head that it is still in its chain at that seq with that
hash. (``queries.verify_audit`` checks the chains and replays each log against its escalation's stored state,
live holds and waivers.)
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from readout.domain.audit import GENESIS, HASH_PROCEDURE, AuditEntry, hashed_at, verify_chain
from readout.domain.channel import ChannelMessage
from readout.domain.effects import EffectKind
from readout.errors import ReadoutError
from readout.services.context import Deps, load_escalation
from readout.services.effects import _add, carry_out
from readout.services.ports import UnitOfWork

__all__ = [
    "EXPORT_FORMAT",
    "USERS_CHAIN",
    "Anchor",
    "anchor_heads",
    "anchor_if_due",
    "append_anchor",
    "export_lines",
    "read_anchors",
    "verify_anchors",
]

USERS_CHAIN = "users"  # the users chain's name in an anchor and in verify's findings
EXPORT_FORMAT = "readout-audit-export/1"
_ANCHOR_TOPIC = "audit-anchor"


@dataclass(frozen=True)
class Anchor:
    """The heads at one instant: per escalation (seq, hash); the users chain's, None when it has none."""

    at: datetime
    escalations: Mapping[str, tuple[int, str]]
    users: tuple[int, str] | None

    def as_json(self) -> dict[str, Any]:
        return {
            "anchored_at": self.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "escalations": {k: {"seq": s, "hash": h} for k, (s, h) in sorted(self.escalations.items())},
            USERS_CHAIN: None if self.users is None else {"seq": self.users[0], "hash": self.users[1]},
        }

    def words(self) -> str:
        """The post for the leadership channel: every head, so the channel's history is an anchor too."""
        lines = [
            f"Audit anchor {self.as_json()['anchored_at']}: the head (entries, last hash) of every audit "
            "chain. Nothing to do; kept so that `readout audit verify --anchor` can be checked against it."
        ]
        lines += [f"{k}: {s} {h}" for k, (s, h) in sorted(self.escalations.items())]
        if self.users is not None:
            lines.append(f"{USERS_CHAIN}: {self.users[0]} {self.users[1]}")
        return "\n".join(lines)


def _heads(uow: UnitOfWork) -> tuple[dict[str, tuple[int, str]], tuple[int, str] | None]:
    escalations = {e.id: (e.audit_seq, e.audit_head) for e in uow.escalations.list()}
    users = uow.user_audit.head()
    return escalations, (users if users and users[0] else None)


def anchor_heads(deps: Deps) -> Anchor:
    """Take the current heads; when a leadership channel is configured, also write the post of them as an
    outbox effect (carried out at once, retried by the worker). The runner files an effect under an
    escalation, so the post goes with the newest one (its log then records ``channel_posted``)."""
    now = deps.clock()
    with deps.look() as uow:
        escalations, users = _heads(uow)
        listed = uow.escalations.list()
    found = Anchor(now, escalations, users)
    if deps.channel is None or not listed:
        return found
    owner = listed[-1].id
    with deps.uow() as uow:
        load_escalation(uow, owner)
        stamp = found.as_json()["anchored_at"]
        payload: dict[str, Any] = {
            "topic": f"{_ANCHOR_TOPIC}:{stamp}",
            "thread": None,
            "message": ChannelMessage(found.words()).as_payload(),
        }
        _add(uow, owner, EffectKind.CHANNEL_POST, f"channel:{_ANCHOR_TOPIC}:{stamp}:post", payload, now)
        uow.commit()
    carry_out(deps, owner)
    return found


def append_anchor(path: Path, anchor: Anchor) -> None:
    """Append the anchor as one JSON line to ``path`` and fsync it (and the folder, for a new file)."""
    new = not path.exists()
    line = json.dumps(anchor.as_json(), sort_keys=True, separators=(",", ":")) + "\n"
    with path.open("a", encoding="utf-8") as out:
        out.write(line)
        out.flush()
        os.fsync(out.fileno())
    if new:
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def anchor_if_due(deps: Deps, path: Path, every: timedelta) -> Anchor | None:
    """Anchor into ``path`` when its newest anchor is ``every`` old or more (or it has none): what a worker
    pass calls, so that anchors keep coming without a cron. The anchor taken, or None when none was due."""
    last = read_anchors(path)[-1:] if path.exists() else []
    if last and deps.clock() - last[0].at < every:
        return None
    found = anchor_heads(deps)
    append_anchor(path, found)
    return found


def _head(value: Any, where: str) -> tuple[int, str]:
    if not (
        isinstance(value, dict) and isinstance(value.get("seq"), int) and isinstance(value.get("hash"), str)
    ):
        raise ReadoutError(f'{where}: expected {{"seq": N, "hash": HEX}}')
    return value["seq"], value["hash"]


def read_anchors(path: Path) -> list[Anchor]:
    """Every anchor in an anchor file, oldest first; ReadoutError naming the line when one is malformed."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ReadoutError(f"--anchor {path}: cannot read it ({err.strerror})") from None
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"--anchor {path} line {number}"
        try:
            data = json.loads(line)
            at = datetime.fromisoformat(str(data["anchored_at"]).replace("Z", "+00:00"))
            heads = {str(k): _head(v, f"{where} escalation {k}") for k, v in data["escalations"].items()}
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ReadoutError(
                f"{where}: expected a JSON object with anchored_at, escalations and users"
            ) from None
        users = None if data.get(USERS_CHAIN) is None else _head(data[USERS_CHAIN], f"{where} users")
        found.append(Anchor(at, heads, users))
    return found


def _at_seq(entries: Sequence[AuditEntry], seq: int) -> AuditEntry | None:
    return next((e for e in entries if e.seq == seq), None)


def _check(
    name: str, entries: Sequence[AuditEntry], stored: int | None, head: tuple[int, str], when: str
) -> list[str]:
    seq, digest = head
    if seq == 0:
        return []
    entry = _at_seq(entries, seq)
    if entry is None:
        last = max((e.seq for e in entries), default=0)
        return [
            f"{name}: entry {seq}, anchored {when}, is missing (the log ends at entry {last}: its tail was "
            "cut)"
        ]
    problems = []
    if entry.hash != digest:
        problems.append(
            f"{name}: entry {seq} has hash {entry.hash[:12]}..., anchored {when} as {digest[:12]}... "
            "(the history up to it was re-written)"
        )
    if stored is not None and stored < seq:
        problems.append(f"{name}: its stored head says {stored} entries, but {seq} were anchored {when}")
    return problems


def verify_anchors(deps: Deps, anchors: Iterable[Anchor]) -> dict[str, list[str]]:
    """Per chain, what the anchors show: an anchored head no longer at its seq (a tail cut), a different
    hash there (a re-hashed history), an anchored escalation gone."""
    found: dict[str, list[str]] = {}
    with deps.look() as uow:
        rows = {e.id: e for e in uow.escalations.list()}
        logs: dict[str, list[AuditEntry]] = {}
        users = uow.user_audit.entries()
        users_head = uow.user_audit.head()
        for anchor in anchors:
            when = anchor.as_json()["anchored_at"]
            for esc_id, head in anchor.escalations.items():
                if esc_id not in logs:
                    logs[esc_id] = uow.audit.entries(esc_id)
                row = rows.get(esc_id)
                problems = found.setdefault(esc_id, [])
                if row is None and not logs[esc_id]:
                    line = (
                        f"{esc_id}: anchored {when} at entry {head[0]}, now gone (escalation and log deleted)"
                    )
                    if line not in problems:
                        problems.append(line)
                    continue
                for line in _check(esc_id, logs[esc_id], row.audit_seq if row else None, head, when):
                    if line not in problems:
                        problems.append(line)
            if anchor.users is not None:
                stored = users_head[0] if users_head else 0
                problems = found.setdefault(USERS_CHAIN, [])
                problems += [
                    p for p in _check(USERS_CHAIN, users, stored, anchor.users, when) if p not in problems
                ]
    return found


def export_lines(deps: Deps, escalation_id: str, now: datetime) -> list[dict[str, Any]]:
    """The JSON Lines export: a header describing the format and the hash procedure, one object per entry
    (exactly the hashed fields), and a last line with the chain's head and what verification found."""
    with deps.look() as uow:
        esc = load_escalation(uow, escalation_id)
        entries = uow.audit.entries(esc.id)
    problems = verify_chain(entries, esc.audit_seq, esc.audit_head)
    header = {
        "format": EXPORT_FORMAT,
        "escalation": esc.id,
        "exported_at": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "entries": len(entries),
        "lines": "line 1: this header; lines 2..N+1: one entry each, in seq order; last line: the head",
        "fields": {
            "escalation": "the escalation id",
            "seq": "position in the chain, from 1",
            "at": "when it was recorded: UTC, ISO 8601 with microseconds, exactly as hashed",
            "actor": "user id of who acted (readout: Readout itself)",
            "kind": "what happened (docs/audit.md lists the kinds)",
            "payload": "what was decided, as recorded (plan entries: starts.rejected per family as runs)",
            "prev_hash": "hash of the entry before (64 zeros for the first)",
            "hash": "this entry's hash",
        },
        "hash": {"algorithm": "sha256", "procedure": HASH_PROCEDURE, "genesis": GENESIS},
        "starts_runs": (
            "a plan entry's payload.starts: considered and rejected[family] are lists of [first start UTC, "
            "count], count starts granularity_minutes apart; considered minus every rejected = the candidates"
        ),
    }
    lines: list[dict[str, Any]] = [header]
    for e in entries:
        lines.append(
            {
                "escalation": e.escalation_id,
                "seq": e.seq,
                "at": hashed_at(e.at),
                "actor": e.actor,
                "kind": e.kind,
                "payload": e.payload,
                "prev_hash": e.prev_hash,
                "hash": e.hash,
            }
        )
    lines.append(
        {
            "head": {"seq": esc.audit_seq, "hash": esc.audit_head},
            "verified": {"intact": not problems, "problems": problems},
        }
    )
    return lines
