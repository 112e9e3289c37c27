"""The ``Channel`` port on Slack's Web API (slack-sdk's ``WebClient``), plus the two calls the interactions
endpoint makes (``views_open``, ``post_ephemeral``).

Failures come back as Readout errors the effect runner knows (services/effects.py): ``RateLimited`` for HTTP
429 (its ``retry_after`` from the ``Retry-After`` header), ``SourceUnavailable`` for a passing failure (5xx,
network, timeout; retried with backoff), ``SlackRefused`` for what a retry does not cure (a bad token, an
unknown channel, a message that cannot be updated): a dead letter for a human. slack-sdk's own retries are
off: the outbox decides when to try again. The bot token is only ever sent to ``api_url``, in the
``Authorization`` header; no error text, log line or ``repr`` carries it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web import SlackResponse

from readout.config import SlackSettings
from readout.domain.channel import ChannelMessage
from readout.errors import Conflict, RateLimited, SourceUnavailable

__all__ = ["EVENT_TYPE", "SlackChannel", "SlackRefused"]

log = logging.getLogger(__name__)

EVENT_TYPE = "readout_message"  # the metadata event type every message Readout posts carries
_SOURCE = "Slack"
_TIMEOUT = 5  # seconds per call: the runner's lease is minutes, an interaction's answer 3 seconds
_LOOK_BACK = 200  # recent messages searched for an earlier attempt's post (Slack's page limit is 1000)
# Errors Slack answers with ``ok: false`` that pass: tried again later (anything else is final).
_PASSING = frozenset(
    {
        "ratelimited",
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
        "team_is_limited",
    }
)
_DEFAULT_RETRY_AFTER = 30.0  # seconds, when a 429 names none


class SlackRefused(Conflict):
    """Slack refused a call for a reason a retry does not cure (``invalid_auth``, ``channel_not_found``,
    ``message_not_found``, ...): final, the effect becomes a dead letter (``error``: Slack's error code)."""

    def __init__(self, method: str, error: str) -> None:
        super().__init__(f"Slack refused {method}: {error}")
        self.method = method
        self.error = error


class SlackChannel:
    """The leadership channel ``settings.channel`` through the Web API at ``settings.api_url``."""

    def __init__(self, settings: SlackSettings, *, timeout: int = _TIMEOUT) -> None:
        self.settings = settings
        self._client = WebClient(
            token=settings.bot_token,
            base_url=settings.api_url,
            timeout=timeout,
            retry_handlers=[],  # the outbox retries, honouring Retry-After
            logger=log,
        )

    def __repr__(self) -> str:
        return f"SlackChannel({self.settings.api_url!r}, channel={self.settings.channel!r})"

    # The Channel port --------------------------------------------------------------------------------------

    def post(
        self, message: ChannelMessage, *, key: str, thread: str | None = None, retry: bool = False
    ) -> str:
        """``chat.postMessage`` to the channel (a reply under ``thread`` when given), carrying ``key`` in the
        message's metadata; on ``retry``, first the message an earlier attempt posted with that key if any."""
        if retry:
            earlier = self._posted_with(key, thread)
            if earlier is not None:
                return earlier
        response = self._call(
            "chat.postMessage",
            lambda: self._client.chat_postMessage(
                channel=self.settings.channel,
                text=message.text,
                blocks=list(message.blocks) or None,
                thread_ts=thread,
                metadata={"event_type": EVENT_TYPE, "event_payload": {"key": key}},
                unfurl_links=False,
                unfurl_media=False,
            ),
        )
        ts = response.get("ts")
        if not isinstance(ts, str) or not ts:
            raise SourceUnavailable(_SOURCE, "chat.postMessage answered without the message's ts")
        return ts

    def update(self, ref: str, message: ChannelMessage) -> None:
        """``chat.update``: the message ``ref`` (its ts) now says ``message``."""
        self._call(
            "chat.update",
            lambda: self._client.chat_update(
                channel=self.settings.channel,
                ts=ref,
                text=message.text,
                blocks=list(message.blocks),
            ),
        )

    # For the interactions endpoint -------------------------------------------------------------------------

    def views_open(self, trigger_id: str, view: Mapping[str, Any]) -> None:
        """``views.open``: show ``view`` (a modal) to the person whose click gave ``trigger_id``."""
        self._call("views.open", lambda: self._client.views_open(trigger_id=trigger_id, view=dict(view)))

    def post_ephemeral(self, channel: str, user: str, text: str) -> None:
        """``chat.postEphemeral``: ``text`` in ``channel``, seen by the Slack user ``user`` only."""
        self._call(
            "chat.postEphemeral",
            lambda: self._client.chat_postEphemeral(channel=channel, user=user, text=text),
        )

    # Inside ------------------------------------------------------------------------------------------------

    def _posted_with(self, key: str, thread: str | None) -> str | None:
        """The ts of a recent message (in ``thread`` when given) whose metadata carries ``key``."""
        if thread is None:
            response = self._call(
                "conversations.history",
                lambda: self._client.conversations_history(
                    channel=self.settings.channel, include_all_metadata=True, limit=_LOOK_BACK
                ),
            )
        else:
            response = self._call(
                "conversations.replies",
                lambda: self._client.conversations_replies(
                    channel=self.settings.channel, ts=thread, include_all_metadata=True, limit=_LOOK_BACK
                ),
            )
        for found in response.get("messages") or ():
            metadata = found.get("metadata") if isinstance(found, dict) else None
            if (
                isinstance(metadata, dict)
                and metadata.get("event_type") == EVENT_TYPE
                and isinstance(metadata.get("event_payload"), dict)
                and metadata["event_payload"].get("key") == key
                and isinstance(found.get("ts"), str)
            ):
                return str(found["ts"])
        return None

    def _call(self, method: str, call: Callable[[], SlackResponse]) -> SlackResponse:
        """Make one Web API call; its failure as a Readout error (never naming the token)."""
        try:
            return call()
        except SlackApiError as error:
            raise _failure(method, error.response) from None
        except (SlackClientError, OSError, ValueError) as error:  # unreachable, timed out, not JSON
            raise SourceUnavailable(_SOURCE, f"{method}: {type(error).__name__}") from None


def _failure(method: str, response: SlackResponse) -> Exception:
    status = response.status_code
    data = response.data if isinstance(response.data, dict) else {}
    code = str(data.get("error") or "")
    if status == 429 or code == "ratelimited":
        wait = _retry_after(response.headers)
        return RateLimited(_SOURCE, f"{method}: rate limited, retry after {wait:g} s", wait)
    if status >= 500 or code in _PASSING:
        return SourceUnavailable(_SOURCE, f"{method}: {code or f'HTTP {status}'}")
    return SlackRefused(method, code or f"HTTP {status}")


def _retry_after(headers: Mapping[str, Any]) -> float:
    value = next((v for k, v in headers.items() if str(k).lower() == "retry-after"), None)
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        seconds = float(str(value))
    except ValueError:
        return _DEFAULT_RETRY_AFTER
    return seconds if 0 <= seconds <= 24 * 3600 else _DEFAULT_RETRY_AFTER
