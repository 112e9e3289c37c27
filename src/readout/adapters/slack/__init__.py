"""The support leadership channel in Slack (docs/leadership-channel.md): the Web API client that carries out
channel effects (``SlackChannel``), and the verification of the interaction requests Slack sends back."""

from readout.adapters.slack.client import SlackChannel, SlackRefused
from readout.adapters.slack.signature import (
    BadSignature,
    MemoryReplayGuard,
    ReplayGuard,
    SqlReplayGuard,
    verify_request,
)

__all__ = [
    "BadSignature",
    "MemoryReplayGuard",
    "ReplayGuard",
    "SlackChannel",
    "SlackRefused",
    "SqlReplayGuard",
    "verify_request",
]
