"""Messages to the support leadership channel (Slack, docs/leadership-channel.md).

A message is decided with the decision that causes it and written as an effect (an outbox entry) in the same
transaction (domain/effects.py); the worker delivers it afterwards. What a message says is built from what
the decision recorded, never from the internal summary: the channel gets the escalation id, the customer,
times, causes, roles and names of the people deciding, nothing of the incident.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ChannelMessage", "request_topic"]


@dataclass(frozen=True)
class ChannelMessage:
    """``text``: the plain line (notifications, screen readers, clients without blocks); ``blocks``: Slack's
    Block Kit layout (JSON values only)."""

    text: str
    blocks: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    def as_payload(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": list(self.blocks)}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> ChannelMessage:
        return cls(str(payload.get("text", "")), tuple(payload.get("blocks") or ()))


def request_topic(escalation_id: str, request_id: int) -> str:
    """The topic of an exception request's message: its first post, its in-place updates and its thread."""
    return f"request:{escalation_id}:{request_id}"
