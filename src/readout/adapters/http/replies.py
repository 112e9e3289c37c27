"""What the HTTP calendar adapters (feeds and CalDAV) share: the outbound guard on every client, reading a
reply's body within a size and time limit, and saying why a request failed in our own words (httpx's messages
may quote the URL, its query and user information included: none of them is passed on)."""

from __future__ import annotations

import socket
import ssl
import time

import httpx

from readout.adapters.http.outbound import REFUSED, GuardedTransport, OutboundRefused
from readout.config import OutboundPolicy
from readout.errors import SourceUnavailable

__all__ = ["MAX_REDIRECTS", "failure_reason", "guarded_client", "limited_body"]

MAX_REDIRECTS = 5  # followed for feeds; CalDAV requests refuse any redirect

# First match along the error's cause chain wins: the specific socket and TLS causes before httpx's wrappers.
_FAILURES: tuple[tuple[type[BaseException], str], ...] = (
    (OutboundRefused, REFUSED),  # the same words whatever lies behind the address: no port-scan oracle
    (httpx.TimeoutException, "timed out after {timeout:g}s"),
    (socket.gaierror, "host name could not be resolved"),
    (ConnectionRefusedError, "connection refused"),
    (ssl.SSLCertVerificationError, "TLS certificate could not be verified"),
    (ssl.SSLError, "TLS handshake failed"),
    (httpx.ConnectError, "could not connect"),
    (httpx.TooManyRedirects, f"more than {MAX_REDIRECTS} redirects"),
    (httpx.UnsupportedProtocol, "redirected to a URL that is not http or https"),
    (httpx.RemoteProtocolError, "the server broke off or garbled the response"),
    (httpx.DecodingError, "the response body could not be decoded"),
    (httpx.InvalidURL, "not a valid URL"),
)


def guarded_client(
    policy: OutboundPolicy,
    tls: ssl.SSLContext,
    timeout: float,
    *,
    auth: httpx.Auth | None = None,
    follow_redirects: bool = False,
) -> httpx.Client:
    """A client whose every request, redirects included, passes the outbound guard (http/outbound.py)."""
    return httpx.Client(
        auth=auth,
        timeout=httpx.Timeout(timeout),
        follow_redirects=follow_redirects,
        max_redirects=MAX_REDIRECTS,
        transport=GuardedTransport(policy, tls),
    )


def failure_reason(error: BaseException, timeout: float) -> str:
    """A short reason for a failed request, never quoting the URL or the server's words."""
    chain: list[BaseException] = []
    cause: BaseException | None = error
    while cause is not None and len(chain) < 10:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    for kind, reason in _FAILURES:
        if any(isinstance(link, kind) for link in chain):
            return reason.format(timeout=timeout)
    return f"request failed ({type(error).__name__})"


def limited_body(
    response: httpx.Response, *, shown: str, limit: int, deadline: float, timeout: float, what: str
) -> bytes:
    """The body, streamed: refused as soon as it exceeds ``limit`` bytes (or says it will) or the exchange
    runs past ``deadline`` (``time.monotonic``). ``what`` names the body in the refusal (feed, reply)."""
    too_large = SourceUnavailable(shown, f"{what} larger than {limit} bytes; refused")
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise too_large
        if time.monotonic() > deadline:
            raise SourceUnavailable(shown, f"timed out after {timeout:g}s")
        chunks.append(chunk)
    return b"".join(chunks)
