"""The leadership channel without a Slack bot (docs/leadership-channel.md): a notify-only incoming webhook
(Slack or Microsoft Teams), the signed JSON events webhook for other systems, and the fan-out that sends each
message to more than one of them."""

from readout.adapters.webhook.delivery import WebhookRefused, signature
from readout.adapters.webhook.events import EventsWebhookChannel
from readout.adapters.webhook.fanout import FanOutChannel
from readout.adapters.webhook.incoming import IncomingWebhookChannel

__all__ = ["EventsWebhookChannel", "FanOutChannel", "IncomingWebhookChannel", "WebhookRefused", "signature"]
