"""The leadership channel as a notify-only incoming webhook: a Slack incoming webhook or workflow
(``slack``: ``{"text", "blocks"}``), or a Microsoft Teams workflow (``teams``: a message with one Adaptive
Card, as the "Send webhook alerts to a channel" workflow takes it).

A webhook only posts: it cannot change a message, answer in a thread, or take a click. So the buttons are
taken out (the "Open in Readout" link stays, as a link: "Decide in Readout: URL" on a request still open), an
update is posted as a new message that says which earlier one it updates, and a reply as a new message that
names what it follows. A webhook answers with no message id: the reference ``post`` returns is the intent's
key. It cannot look for an earlier attempt's message either: a post whose answer was lost (a timeout after
the webhook took it) is posted again when retried (at least once, never lost).
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from readout.adapters.webhook.delivery import Poster, describe_topic
from readout.config import ChannelWebhookSettings, OutboundPolicy
from readout.domain.channel import ChannelMessage

__all__ = ["IncomingWebhookChannel", "slack_payload", "teams_payload"]

_SHOWN = "the channel webhook"
_LINK = re.compile(r"<([^<>|\s]+)\|([^<>]*)>")
_BARE_LINK = re.compile(r"<(https?://[^<>|\s]+)>")
_SECTION_LIMIT = 3000  # Slack's limit on a section's text


class IncomingWebhookChannel:
    """The ``Channel`` port on an incoming webhook (``settings.format``: ``slack`` or ``teams``)."""

    refs_are_keys = True  # ``post`` returns the intent's key: known before the webhook is called

    def __init__(self, settings: ChannelWebhookSettings, policy: OutboundPolicy, timeout: float) -> None:
        self.format = settings.format
        self._poster = Poster(settings.url, _SHOWN, policy, timeout)

    def __repr__(self) -> str:
        return f"IncomingWebhookChannel(format={self.format!r})"

    def post(
        self, message: ChannelMessage, *, key: str, thread: str | None = None, retry: bool = False
    ) -> str:
        """Post ``message``; a reply (``thread``: the reference of the message it follows, that message's
        key) as a new message naming what it follows. Returns ``key``."""
        lead = f"In reply to {describe_topic(thread)}" if thread is not None else None
        self._send(message, lead)
        return key

    def update(self, ref: str, message: ChannelMessage, *, key: str | None = None) -> None:
        """Post ``message`` as a new message saying that it updates the earlier one (``ref``, its key)."""
        self._send(message, f"Update to {describe_topic(ref)}")

    def _send(self, message: ChannelMessage, lead: str | None) -> None:
        payload = teams_payload(message, lead) if self.format == "teams" else slack_payload(message, lead)
        self._poster.post(json.dumps(payload, separators=(",", ":")).encode("utf-8"), {})


def _without_buttons(
    blocks: tuple[dict[str, Any], ...],
) -> tuple[list[dict[str, Any]], str | None, bool]:
    """The blocks with every button taken out; the first link a button carried (Open in Readout), and
    whether a button asked for a decision (Approve, Reject) that must now be made in Readout."""
    kept: list[dict[str, Any]] = []
    link: str | None = None
    decide = False
    for block in blocks:
        buttons = [block.get("accessory")] if block.get("type") != "actions" else block.get("elements") or []
        for element in buttons:
            if isinstance(element, dict) and element.get("type") == "button":
                if isinstance(element.get("url"), str):
                    link = link or element["url"]
                else:
                    decide = True
        if block.get("type") == "actions":
            continue
        if isinstance(block.get("accessory"), dict) and block["accessory"].get("type") == "button":
            block = {k: v for k, v in block.items() if k != "accessory"}
        kept.append(block)
    return kept, link, decide


def _link_line(link: str | None, decide: bool) -> str | None:
    if decide:
        return f"Decide in Readout: {link}" if link else "Decide in Readout (the web app)"
    return f"Open in Readout: {link}" if link else None


def slack_payload(message: ChannelMessage, lead: str | None = None) -> dict[str, Any]:
    """``{"text", "blocks"}`` for a Slack incoming webhook: no buttons, the link kept, ``lead`` first."""
    blocks, link, decide = _without_buttons(message.blocks)
    text = f"{lead}: {message.text}" if lead else message.text
    line = _link_line(link, decide)
    if lead and blocks:
        blocks.insert(0, {"type": "context", "elements": [{"type": "mrkdwn", "text": _escape(lead)}]})
    if line is not None:
        text += f"\n{line}"
        shown = (
            _escape(line) if link is None else f"{_escape(line.split(': ', 1)[0])}: <{link}|{_escape(link)}>"
        )
        if blocks:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": shown[:_SECTION_LIMIT]}})
    payload: dict[str, Any] = {"text": text}
    if blocks:
        payload["blocks"] = blocks
    return payload


def teams_payload(message: ChannelMessage, lead: str | None = None) -> dict[str, Any]:
    """A Teams message carrying one Adaptive Card: ``lead``, then the message's lines (headers bold, small
    print subtle), then the link (an "Open in Readout" action as well)."""
    blocks, link, decide = _without_buttons(message.blocks)
    body: list[dict[str, Any]] = []
    if lead:
        body.append({"type": "TextBlock", "text": lead, "weight": "Bolder", "wrap": True})
    for block in blocks:
        shown = _block_text(block)
        if shown is None:
            continue
        item: dict[str, Any] = {"type": "TextBlock", "text": shown, "wrap": True}
        if block.get("type") == "header":
            item |= {"weight": "Bolder", "size": "Medium"}
        elif block.get("type") == "context":
            item |= {"isSubtle": True, "size": "Small"}
        body.append(item)
    if not blocks:
        body.append({"type": "TextBlock", "text": message.text, "wrap": True})
    line = _link_line(link, decide)
    if line is not None:
        body.append({"type": "TextBlock", "text": f"[{line}]({link})" if link else line, "wrap": True})
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open in Readout", "url": link}]
    text = f"{lead}: {message.text}" if lead else message.text
    return {
        "type": "message",
        "summary": text[:250],
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


def _block_text(block: dict[str, Any]) -> str | None:
    """A block's text as Adaptive Card markdown (Slack's ``<url|label>`` as ``[label](url)``, ``*bold*`` as
    ``**bold**``, entities decoded); None for a block without text."""
    if block.get("type") == "context":
        parts = [e.get("text", "") for e in block.get("elements") or () if isinstance(e, dict)]
        raw = " ".join(p for p in parts if isinstance(p, str))
    else:
        found = block.get("text")
        raw = found.get("text", "") if isinstance(found, dict) else ""
    if not isinstance(raw, str) or not raw.strip():
        return None
    raw = _LINK.sub(lambda m: f"[{m.group(2)}]({m.group(1)})", raw)
    raw = _BARE_LINK.sub(lambda m: m.group(1), raw)
    raw = re.sub(r"(?<![*\w])\*([^*\n]+)\*(?![*\w])", r"**\1**", raw)
    return html.unescape(raw)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
