"""The signed JSON events webhook: every leadership channel message (post, update, reply) POSTed to another
system (ticketing, paging), signed so that the receiver can tell it came from Readout.

Body (JSON, UTF-8): ``{"event": "post" | "update" | "reply", "id", "topic", "thread", "ref", "text",
"sent_at"}``: ``id`` is the delivery's idempotency key (the same on every attempt), ``topic`` what it is about
(``request:ESC:N``; null when not known), ``thread`` the reference of the message a reply follows or an update
replaces (null for a post), ``ref`` the reference of this message (what later events name as ``thread``).

Headers: ``X-Readout-Timestamp`` (Unix seconds, when this attempt was sent), ``X-Readout-Signature:
sha256=HEX`` (HMAC-SHA256 with the shared secret over ``TIMESTAMP.RAW_BODY``), ``X-Readout-Delivery: ID``.
Deliveries are at least once: a receiver drops one whose ``X-Readout-Delivery`` it has seen.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from readout.adapters.webhook.delivery import Poster, signature, topic_of
from readout.config import EventsWebhookSettings, OutboundPolicy
from readout.domain.channel import ChannelMessage

__all__ = ["EventsWebhookChannel"]

_SHOWN = "the events webhook"


class EventsWebhookChannel:
    """The ``Channel`` port on the events webhook; with another channel it is driven by ``FanOutChannel``,
    which tells it that channel's reference of each message (``ref``)."""

    refs_are_keys = True

    def __init__(
        self,
        settings: EventsWebhookSettings,
        policy: OutboundPolicy,
        timeout: float,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secret = settings.secret
        self._poster = Poster(settings.url, _SHOWN, policy, timeout)
        self._clock = clock

    def __repr__(self) -> str:
        return "EventsWebhookChannel()"

    def post(
        self,
        message: ChannelMessage,
        *,
        key: str,
        thread: str | None = None,
        retry: bool = False,
        ref: str | None = None,
    ) -> str:
        """A ``post`` event (``reply`` under ``thread``); ``ref``: another channel's reference of the same
        message, when this webhook goes with one. Returns ``key``."""
        event = "reply" if thread is not None else "post"
        self._send(event, key, topic_of(key), thread, ref or key, message)
        return key

    def update(self, ref: str, message: ChannelMessage, *, key: str | None = None) -> None:
        """An ``update`` event for the message ``ref``. Its id is ``key`` when given, else derived from
        ``ref`` and the new text (the same on every attempt of one update)."""
        digest = hashlib.sha256(f"{ref}\n{message.text}".encode()).hexdigest()[:24]
        topic = topic_of(key) if key is not None else topic_of(ref)
        self._send("update", key or f"update:{ref}:{digest}", topic, ref, ref, message)

    def _send(
        self, event: str, key: str, topic: str | None, thread: str | None, ref: str, message: ChannelMessage
    ) -> None:
        now = self._clock()
        body: dict[str, Any] = {
            "event": event,
            "id": key,
            "topic": topic,
            "thread": thread,
            "ref": ref,
            "text": message.text,
            "sent_at": datetime.fromtimestamp(int(now), UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        stamp = str(int(now))
        headers = {
            "X-Readout-Timestamp": stamp,
            "X-Readout-Signature": signature(self._secret, stamp, raw),
            "X-Readout-Delivery": key,
        }
        self._poster.post(raw, headers)
