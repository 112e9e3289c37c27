"""One ``Channel`` that sends each message to several: the leadership channel (the Slack bot or an incoming
webhook) and the events webhook.

The reference that counts (stored with the intent, used for updates and replies) is the leadership channel's.
Order is chosen so that a retry after a partial failure sends nothing twice that a destination cannot drop:

- the Slack bot first: retried, it finds the message it already posted (by the key in its metadata) instead of
  posting again, and an update in place is the same update twice; the events webhook then hears of the
  message with Slack's reference;
- an incoming webhook last: it cannot look for an earlier post, so it is called only once the events webhook
  took the message; if it then fails, the retry sends the event again, and the receiver drops it by its
  ``X-Readout-Delivery`` (which it must: deliveries are at least once anyway).

No state is kept between attempts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from readout.domain.channel import ChannelMessage

if TYPE_CHECKING:
    from readout.adapters.webhook.events import EventsWebhookChannel
    from readout.services.ports import Channel

__all__ = ["FanOutChannel"]


class FanOutChannel:
    """``primary`` (whose reference is the reference) and the events webhook ``events``."""

    def __init__(self, primary: Channel, events: EventsWebhookChannel) -> None:
        self.primary = primary
        self.events = events
        self._primary_last = bool(getattr(primary, "refs_are_keys", False))

    def __repr__(self) -> str:
        return f"FanOutChannel({self.primary!r}, {self.events!r})"

    def post(
        self, message: ChannelMessage, *, key: str, thread: str | None = None, retry: bool = False
    ) -> str:
        if self._primary_last:
            self.events.post(message, key=key, thread=thread, retry=retry, ref=key)
            return self.primary.post(message, key=key, thread=thread, retry=retry)
        ref = self.primary.post(message, key=key, thread=thread, retry=retry)
        self.events.post(message, key=key, thread=thread, retry=retry, ref=ref)
        return ref

    def update(self, ref: str, message: ChannelMessage) -> None:
        if self._primary_last:
            self.events.update(ref, message)
            self.primary.update(ref, message)
            return
        self.primary.update(ref, message)
        self.events.update(ref, message)
