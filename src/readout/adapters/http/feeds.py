"""The calendar port over iCalendar feeds fetched by HTTP(S): ``http://``, ``https://`` and ``webcal://``.

``webcal://`` is a nickname for ``https://`` (never plain http: no downgrade, credentials stay encrypted).
Every request, redirects included, passes the outbound guard (http/outbound.py): public addresses over
HTTPS unless the operator's ``OutboundPolicy`` allows more. Credentials come only from the ``CredentialStore``
(HTTP Basic) for the request's own origin, never from the URL: a ``user:password@`` in a case-file URL is
dropped before the request, a redirect to another origin goes without them, and every message names
``RemoteSource.shown`` (no user information, no query). Every failure (refused by the policy, timeout,
refused, DNS, TLS, HTTP status other than 200, a body over ``max_bytes``, a body that is not iCalendar) is a
``SourceUnavailable``: the owner becomes unknown, never free. ``timeout`` bounds connecting, each read and the
whole download.

Conditional-GET cache (only when ``cache_dir`` is set): one file per feed,
``<cache_dir>/<sha256 hex of the request URL>.feed``, where the request URL has ``webcal`` mapped to ``https``
and no user information. The file is one line of JSON, ``{"url": ..., "etag": ... | null, "last_modified":
... | null, "length": <body bytes>}`` (``url`` with its query redacted, as ``RemoteSource.shown`` shows it), a
newline, then the body exactly as received (after content decoding). Only 200 responses with an ETag or
Last-Modified (and no ``Cache-Control: no-store``) are written, via a temporary file in the same folder
renamed over the old one, so readers never see half a file. A file that does not parse, names another URL or
whose body length differs is ignored. Credentials and request headers are never written; the body is calendar
content, so the files are created readable by their owner only.

Parsing: the body (fetched, or the cached copy on a 304) goes through the iCalendar reader's in-memory cache
(adapters/ics/cache.py), keyed by its SHA-256 digest: in a long-running process a 304, or the same bytes
served again without validators, reuses the busy time already parsed; only the request is paid.

Fingerprint (the calendar watch, services/watch.py): the SHA-256 of the body fetched the same way, so with a
cache folder a 304 gives the cached body's digest without a download.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import httpx

from readout.adapters.http.replies import failure_reason, guarded_client, limited_body
from readout.adapters.ics.reader import parse_blackouts, parse_busy
from readout.config import CredentialStore, OutboundPolicy
from readout.domain.intervals import Interval
from readout.domain.sources import FEED_SCHEMES, CalendarSource, RemoteSource
from readout.errors import CalendarError, SourceUnavailable

__all__ = ["HttpIcsReader", "http_url"]

_FETCHED_WITH = dict(zip(FEED_SCHEMES, ("http", "https", "https"), strict=True))  # webcal:// over https
_log = logging.getLogger(__name__)

_Parse = Callable[..., tuple[Interval, ...]]


def http_url(url: str) -> str | None:
    """The URL to request for a feed URL: ``webcal`` becomes ``https``, any ``user:password@`` and fragment
    are dropped. None when the scheme is not http, https or webcal, or there is no host."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    scheme = _FETCHED_WITH.get(parts.scheme)  # urlsplit lower-cases the scheme
    if scheme is None or not parts.hostname:
        return None
    return urlunsplit((scheme, parts.netloc.rpartition("@")[2], parts.path or "/", parts.query, ""))


class HttpIcsReader:
    """Reads free/busy and blackouts from ``.ics`` feeds over HTTP(S). Safe to share between threads: each
    call uses its own connection; only the TLS context (read-only) and settings live on the instance.
    ``policy``: what the operator allows beyond public HTTPS addresses (default: nothing)."""

    def __init__(
        self,
        credentials: CredentialStore,
        timeout: float,
        max_bytes: int,
        cache_dir: Path | None,
        *,
        policy: OutboundPolicy | None = None,
    ) -> None:
        self._credentials = credentials
        self._policy = policy or OutboundPolicy()
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._cache = _FeedCache(cache_dir) if cache_dir is not None else None
        self._tls = httpx.create_ssl_context()  # certifi, or SSL_CERT_FILE / SSL_CERT_DIR when set

    def busy(
        self,
        source: CalendarSource,
        *,
        window: Interval,
        zone: ZoneInfo,
        tentative_is_busy: bool,
        exclude_escalation: str | None,
    ) -> tuple[Interval, ...]:
        """Busy intervals of the feed's owner overlapping ``window``; SourceUnavailable on any failure."""
        return self._read(
            source,
            partial(
                parse_busy,
                window=window,
                zone=zone,
                tentative_is_busy=tentative_is_busy,
                exclude_escalation=exclude_escalation,
            ),
        )

    def blackouts(self, source: CalendarSource, *, window: Interval, zone: ZoneInfo) -> tuple[Interval, ...]:
        """Every non-cancelled event of the feed as blackout blocks; SourceUnavailable on any failure."""
        return self._read(source, partial(parse_blackouts, window=window, zone=zone))

    def fingerprint(self, source: CalendarSource) -> str | None:
        """``sha256:<hex>`` of the feed's body, fetched as for a read: a conditional GET when a cached copy
        exists, so a 304 Not Modified gives the cached body's digest without a download (without a cache
        folder every call downloads the feed). SourceUnavailable on any failure."""
        if not isinstance(source, RemoteSource):
            raise SourceUnavailable(str(source), "a local file, not an HTTP(S) feed")
        return f"sha256:{hashlib.sha256(self._fetch(source)).hexdigest()}"

    def _read(self, source: CalendarSource, parse: _Parse) -> tuple[Interval, ...]:
        if not isinstance(source, RemoteSource):
            raise SourceUnavailable(str(source), "a local file, not an HTTP(S) feed")
        body = self._fetch(source)
        try:
            return parse(body, source=source.shown)
        except CalendarError as error:  # its detail never quotes the content
            raise SourceUnavailable(source.shown, f"not a valid iCalendar feed: {error.detail}") from None

    def _fetch(self, source: RemoteSource) -> bytes:
        """The feed's body: fetched, or the cached copy when the server answers 304 Not Modified."""
        shown, url = source.shown, http_url(source.url)
        if url is None:
            raise SourceUnavailable(shown, "not a valid http, https or webcal URL")
        cached = self._cache.load(url) if self._cache else None
        found = self._credentials.for_url(url)  # httpx drops them on a redirect to another origin
        auth = httpx.BasicAuth(found.username, found.password) if found else None
        deadline = time.monotonic() + self._timeout
        try:
            with (
                guarded_client(
                    self._policy, self._tls, self._timeout, auth=auth, follow_redirects=True
                ) as client,
                client.stream("GET", url, headers=_conditions(cached)) as response,
            ):
                if response.status_code == 304 and cached is not None:
                    return cached.body
                if response.status_code != 200:
                    raise SourceUnavailable(shown, _status(response.status_code, source, found is not None))
                body = limited_body(
                    response,
                    shown=shown,
                    limit=self._max_bytes,
                    deadline=deadline,
                    timeout=self._timeout,
                    what="feed",
                )
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            raise SourceUnavailable(shown, failure_reason(error, self._timeout)) from None
        if self._cache and "no-store" not in response.headers.get("Cache-Control", "").lower():
            self._cache.store(url, response.headers, body, shown)
        return body


def _conditions(cached: _Cached | None) -> dict[str, str]:
    """Validators that turn the request into a conditional GET when a cached copy exists (ASCII only: httpx
    cannot send anything else, and a server that sent other bytes cannot be trusted to compare them)."""
    validators = {"If-None-Match": cached.etag, "If-Modified-Since": cached.last_modified} if cached else {}
    return {name: value for name, value in validators.items() if value and value.isascii()}


def _status(code: int, source: RemoteSource, has_credentials: bool) -> str:
    """An HTTP status other than 200, with a hint for the authentication ones."""
    text = f"HTTP {code} {httpx.codes.get_reason_phrase(code)}".rstrip()
    if code in (401, 403):
        if has_credentials:
            return f"{text} (the configured credentials were refused)"
        ignored = "; credentials in the URL are ignored" if source.carries_credentials else ""
        return f"{text} (no credentials configured for this calendar{ignored})"
    return text


@dataclass(frozen=True, slots=True)
class _Cached:
    etag: str | None
    last_modified: str | None
    body: bytes


class _FeedCache:
    """Cached feed bodies and their validators, one file per request URL (format: module docstring)."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder

    def _file(self, url: str) -> Path:
        return self._folder / f"{hashlib.sha256(url.encode()).hexdigest()}.feed"

    def load(self, url: str) -> _Cached | None:
        """The cached copy of ``url``, or None when there is none or it is unusable."""
        try:
            head, newline, body = self._file(url).read_bytes().partition(b"\n")
            meta = json.loads(head)
        except (OSError, ValueError):
            return None
        if not newline or not isinstance(meta, dict) or meta.get("url") != RemoteSource(url).shown:
            return None
        etag, modified = meta.get("etag"), meta.get("last_modified")
        if meta.get("length") != len(body) or not isinstance(etag, str | None):
            return None
        return _Cached(etag, modified, body) if isinstance(modified, str | None) else None

    def store(self, url: str, headers: httpx.Headers, body: bytes, shown: str) -> None:
        """Replace the cached copy atomically; a feed without validators is not worth keeping."""
        etag, modified = headers.get("ETag"), headers.get("Last-Modified")
        if etag is None and modified is None:
            return
        meta = {"url": RemoteSource(url).shown, "etag": etag, "last_modified": modified, "length": len(body)}
        try:
            self._folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self._folder, prefix=".", suffix=".tmp")  # mode 0600
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(json.dumps(meta).encode() + b"\n" + body)
                os.replace(temporary, self._file(url))
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as error:  # a cache that cannot be written costs a full download next time, no more
            _log.warning("%s: feed cache not written (%s)", shown, error.strerror or type(error).__name__)
