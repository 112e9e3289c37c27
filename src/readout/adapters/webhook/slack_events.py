"""The Slack bot and the events webhook together, as one ``SlackChannel``: the interactions endpoint
(entrypoints/http/slack.py) still finds the Slack channel it answers clicks through, and each message goes to
Slack first, then to the events webhook with Slack's reference (the order ``FanOutChannel`` explains: a retry
finds Slack's earlier post by its key instead of posting again). Imported only when both are configured."""

from __future__ import annotations

from readout.adapters.slack import SlackChannel
from readout.adapters.webhook.events import EventsWebhookChannel
from readout.config import SlackSettings
from readout.domain.channel import ChannelMessage

__all__ = ["SlackWithEvents"]


class SlackWithEvents(SlackChannel):
    """``SlackChannel`` whose posts and updates are also sent to ``events``."""

    def __init__(self, settings: SlackSettings, events: EventsWebhookChannel) -> None:
        super().__init__(settings)
        self.events = events

    def __repr__(self) -> str:
        return f"SlackWithEvents({self.settings.api_url!r}, channel={self.settings.channel!r})"

    def post(
        self, message: ChannelMessage, *, key: str, thread: str | None = None, retry: bool = False
    ) -> str:
        ref = super().post(message, key=key, thread=thread, retry=retry)
        self.events.post(message, key=key, thread=thread, retry=retry, ref=ref)
        return ref

    def update(self, ref: str, message: ChannelMessage) -> None:
        super().update(ref, message)
        self.events.update(ref, message)
