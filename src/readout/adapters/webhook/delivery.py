"""One POST to a webhook, its answer as an error the effect runner knows (services/effects.py), and the
events webhook's signature.

- 2xx: delivered;
- 429: ``RateLimited``, waiting as long as ``Retry-After`` asks (30 s when it names nothing usable, at most an
  hour);
- 5xx, 408, a timeout, a connection that fails: ``SourceUnavailable``, retried with backoff;
- anything else (a 3xx is not followed, 4xx): ``WebhookRefused``, a dead letter for a person; also a request
  the outbound policy refuses (docs/outbound.md).

Every request passes the outbound guard (adapters/http/outbound.py). The URL is a secret (whoever has it can
post): no error, log line or ``repr`` carries it; errors name the webhook by what it is for.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import ssl
from collections.abc import Mapping

import httpx

from readout.adapters.http.outbound import REFUSED, OutboundRefused
from readout.adapters.http.replies import failure_reason, guarded_client
from readout.config import OutboundPolicy
from readout.errors import Conflict, RateLimited, SourceUnavailable

__all__ = ["MAX_BODY", "Poster", "WebhookRefused", "describe_topic", "signature", "topic_of"]

MAX_BODY = 256 * 1024  # bytes of one request body; a longer message is refused, never cut mid-way
_REPLY_READ = 2048  # bytes of an answer read (for a refusal's code); the rest is left unread
_DEFAULT_RETRY_AFTER = 30.0
_MAX_RETRY_AFTER = 3600.0
_CODE = re.compile(r"[A-Za-z0-9_.\- ]{1,80}")  # an answer quoted in a refusal: a short plain code only
_TOPIC = re.compile(r"^channel:(request:(.+):(\d+)):[^:]")


class WebhookRefused(Conflict):
    """The webhook refused a delivery for a reason a retry does not cure: final, a dead letter."""


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` and the hex HMAC-SHA256, keyed by ``secret``, of ``TIMESTAMP.BODY`` (the raw body)."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def topic_of(key: str) -> str | None:
    """The topic (``request:ESC:N``) of a channel intent's key (``channel:TOPIC:WHAT``), or None."""
    found = _TOPIC.match(key)
    return found.group(1) if found else None


def describe_topic(key: str) -> str:
    """What a message keyed ``key`` is about, for a webhook's update or reply that names what it follows."""
    found = _TOPIC.match(key)
    if found is None:
        return "an earlier message"
    return f"exception request #{found.group(3)} for {found.group(2)}"


class Poster:
    """POSTs bodies to one webhook URL (``shown``: its name in errors), within ``timeout`` seconds."""

    def __init__(self, url: str, shown: str, policy: OutboundPolicy, timeout: float) -> None:
        self._url = url
        self.shown = shown
        self._policy = policy
        self._timeout = timeout
        self._tls: ssl.SSLContext | None = None

    def __repr__(self) -> str:
        return f"Poster({self.shown!r})"

    def post(self, body: bytes, headers: Mapping[str, str]) -> None:
        """Deliver ``body`` (JSON); an error as described in the module's docstring otherwise."""
        if len(body) > MAX_BODY:
            raise WebhookRefused(f"{self.shown}: the message is larger than {MAX_BODY} bytes; not sent")
        if self._tls is None:
            self._tls = httpx.create_ssl_context()
        sent = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "Readout", **headers}
        try:
            with (
                guarded_client(self._policy, self._tls, self._timeout) as client,
                client.stream("POST", self._url, content=body, headers=sent) as response,
            ):
                answer = _first_bytes(response)
        except OutboundRefused:
            raise WebhookRefused(f"{self.shown}: {REFUSED}") from None
        except httpx.HTTPError as error:
            if _refused(error):
                raise WebhookRefused(f"{self.shown}: {REFUSED}") from None
            raise SourceUnavailable(self.shown, failure_reason(error, self._timeout)) from None
        _check(self.shown, response, answer)


def _refused(error: BaseException) -> bool:
    cause: BaseException | None = error
    for _ in range(10):
        if cause is None:
            return False
        if isinstance(cause, OutboundRefused):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def _first_bytes(response: httpx.Response) -> bytes:
    """At most ``_REPLY_READ`` bytes of the answer: enough for a refusal's code, bounded whatever it sends."""
    kept = b""
    for chunk in response.iter_bytes():
        kept += chunk
        if len(kept) >= _REPLY_READ:
            break
    return kept[:_REPLY_READ]


def _check(shown: str, response: httpx.Response, answer: bytes) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    if status == 429:
        wait = _retry_after(response.headers.get("Retry-After"))
        raise RateLimited(shown, f"HTTP 429: rate limited, retry after {wait:g} s", wait)
    if status >= 500 or status == 408:
        raise SourceUnavailable(shown, f"HTTP {status}")
    text = answer.decode("utf-8", "replace").strip()
    said = f" ({text})" if _CODE.fullmatch(text) else ""
    raise WebhookRefused(f"{shown} refused the message: HTTP {status}{said}")


def _retry_after(value: str | None) -> float:
    """``Retry-After`` in seconds (only the delta-seconds form; a date or nonsense: the default)."""
    try:
        seconds = float(value or "")
    except ValueError:
        return _DEFAULT_RETRY_AFTER
    if seconds != seconds or seconds < 0:
        return _DEFAULT_RETRY_AFTER
    return min(seconds, _MAX_RETRY_AFTER)
