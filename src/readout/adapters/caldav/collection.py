"""One CalDAV calendar collection (RFC 4791) over HTTP(S): the few requests Readout sends it.

A case file names a collection as ``caldav://host:port/path/`` (fetched over plain ``http``) or
``caldavs://host/path/`` (``https``). Every request passes the outbound guard (http/outbound.py): plain
``http`` and addresses that are not public are refused unless the operator's ``OutboundPolicy`` allows them.
Credentials come only from the ``CredentialStore`` (HTTP Basic) for the collection's own origin, never from
the URL: a ``user:password@`` and any query are dropped before any request, and every message names
``RemoteSource.shown``. Nothing here logs, and no error quotes a URL, a header or a body.

A failed exchange (refused, timed out, TLS, a redirect, a reply larger than ``max_bytes``, a reply that is not
the multistatus asked for) is a ``SourceUnavailable``; an HTTP status is handed back to the caller, which
knows what a 404 or a 412 means for what it was doing. ``timeout`` bounds connecting, each read, and each
whole exchange.

httpx rather than python-caldav's ``DAVClient``: caldav logs whole request and response bodies at DEBUG (other
people's event details would reach our logs), its client takes an ``int`` timeout, and Readout only needs
five plain requests with explicit ``If-Match`` / ``If-None-Match`` headers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, timedelta
from urllib.parse import urlsplit, urlunsplit
from xml.etree import ElementTree

import httpx

from readout.adapters.http.replies import failure_reason, guarded_client, limited_body
from readout.config import CredentialStore, OutboundPolicy
from readout.domain.intervals import Interval
from readout.domain.sources import CALDAV_SCHEMES, RemoteSource
from readout.errors import SourceUnavailable

__all__ = ["CalDavCollection", "CalDavConnector", "Reply", "caldav_http_url"]

_FETCHED_WITH = dict(zip(CALDAV_SCHEMES, ("http", "https"), strict=True))  # caldavs:// over https
# Servers place floating and all-day events by UTC (or the collection's own zone), not by the owner's zone,
# so the query asks for a day more on each side; the iCalendar reader clips to the window afterwards.
_QUERY_MARGIN = timedelta(days=1)
_DAV, _CALDAV = "{DAV:}", "{urn:ietf:params:xml:ns:caldav}"
_CS = "{http://calendarserver.org/ns/}"
_XML = {"Content-Type": "application/xml; charset=utf-8"}
_RESOURCETYPE = (
    b'<?xml version="1.0" encoding="utf-8"?>'
    b'<D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/></D:prop></D:propfind>'
)
_TAGS = (
    b'<?xml version="1.0" encoding="utf-8"?>'
    b'<D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/">'
    b"<D:prop><D:resourcetype/><CS:getctag/><D:sync-token/></D:prop></D:propfind>"
)
_QUERY = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
    "<D:prop><C:calendar-data/></D:prop>"
    '<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
    '<C:time-range start="{start:%Y%m%dT%H%M%SZ}" end="{end:%Y%m%dT%H%M%SZ}"/>'
    "</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"
)


def caldav_http_url(url: str) -> str | None:
    """The http(s) URL of a ``caldav://`` / ``caldavs://`` collection, without user information, ending in
    ``/``; None when it is not one of those schemes or has no host."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    scheme = _FETCHED_WITH.get(parts.scheme)
    if scheme is None or not parts.hostname:
        return None
    path = parts.path if parts.path.endswith("/") else f"{parts.path}/"
    return urlunsplit((scheme, parts.netloc.rpartition("@")[2], path, "", ""))


@dataclass(frozen=True, slots=True)
class Reply:
    """What the server answered: the status, the ETag header and the body."""

    status: int
    etag: str | None
    body: bytes


class CalDavConnector:
    """Settings shared by every collection it opens. Safe to share between threads: each request uses its
    own connection; only settings and the (read-only) TLS context live here. ``policy``: what the operator
    allows beyond public HTTPS addresses (default: nothing)."""

    def __init__(
        self,
        credentials: CredentialStore,
        timeout: float,
        max_bytes: int,
        policy: OutboundPolicy | None = None,
    ) -> None:
        self.credentials = credentials
        self.policy = policy or OutboundPolicy()
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.tls = httpx.create_ssl_context()  # certifi, or SSL_CERT_FILE / SSL_CERT_DIR when set

    def open(self, source: RemoteSource) -> CalDavCollection:
        """The collection ``source`` names; SourceUnavailable when it is not a caldav(s) URL."""
        url = caldav_http_url(source.url)
        if url is None:
            raise SourceUnavailable(source.shown, "not a caldav:// or caldavs:// collection URL")
        return CalDavCollection(self, source, url)


class CalDavCollection:
    """One calendar collection: ``url`` is its http(s) address, ``shown`` the name used in messages."""

    def __init__(self, connector: CalDavConnector, source: RemoteSource, url: str) -> None:
        self._connector = connector
        self.source = source
        self.shown = source.shown
        self.url = url
        found = connector.credentials.for_url(url)
        self._auth = httpx.BasicAuth(found.username, found.password) if found else None

    def member(self, name: str) -> str:
        """The URL of the calendar object resource ``name`` in this collection."""
        return self.url + name

    def send(self, method: str, url: str, body: bytes = b"", headers: dict[str, str] | None = None) -> Reply:
        """One request; SourceUnavailable when it fails, is redirected, is too large or is too slow."""
        timeout, tls = self._connector.timeout, self._connector.tls
        deadline = time.monotonic() + timeout
        try:
            with (
                guarded_client(self._connector.policy, tls, timeout, auth=self._auth) as client,
                client.stream(method, url, content=body, headers=headers) as response,
            ):
                if response.is_redirect:  # following one with our credentials could hand them elsewhere
                    raise SourceUnavailable(self.shown, "redirected; name the final address instead")
                content = limited_body(
                    response,
                    shown=self.shown,
                    limit=self._connector.max_bytes,
                    deadline=deadline,
                    timeout=timeout,
                    what="reply",
                )
                return Reply(response.status_code, response.headers.get("ETag"), content)
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            raise SourceUnavailable(self.shown, failure_reason(error, timeout)) from None

    def refused(self, reply: Reply, doing: str) -> SourceUnavailable:
        """The error for a status the caller did not expect while ``doing`` something."""
        text = f"HTTP {reply.status} {httpx.codes.get_reason_phrase(reply.status)}".rstrip()
        if reply.status in (401, 403):
            if self._auth is not None:
                text += " (the configured credentials were refused)"
            else:
                ignored = "; credentials in the URL are ignored" if self.source.carries_credentials else ""
                text += f" (no credentials configured for this calendar{ignored})"
        return SourceUnavailable(self.shown, f"{doing}: {text}")

    def calendar_data(self, span: Interval) -> list[str]:
        """The iCalendar text of every event with an occurrence in ``span`` (widened by a day each side),
        unexpanded: recurrence rules are expanded by the reader, in the owner's zone."""
        self._check_is_calendar()
        start, end = (span.start - _QUERY_MARGIN).astimezone(UTC), (span.end + _QUERY_MARGIN).astimezone(UTC)
        query = _QUERY.format(start=start, end=end).encode()
        reply = self.send("REPORT", self.url, query, {**_XML, "Depth": "1"})
        if reply.status != 207:
            raise self.refused(reply, "reading events")
        texts = []
        for response in self._multistatus(reply.body).iter(f"{_DAV}response"):
            data = _ok_prop(response, f"{_CALDAV}calendar-data")
            if data is None or not (data.text or "").strip():
                raise SourceUnavailable(self.shown, "the server left out the data of an event")
            texts.append(data.text or "")
        return texts

    def tag(self) -> str | None:
        """What changes whenever a member of the collection does: ``ctag:<value>`` (calendarserver.org's
        getctag), else ``sync-token:<value>`` (RFC 6578); None when the server gives neither. One PROPFIND,
        which also checks that the URL names a calendar collection."""
        response = self._calendar_response(_TAGS)
        for name, kind in ((f"{_CS}getctag", "ctag"), (f"{_DAV}sync-token", "sync-token")):
            found = _ok_prop(response, name)
            if found is not None and (found.text or "").strip():
                return f"{kind}:{(found.text or '').strip()}"
        return None

    def _check_is_calendar(self) -> None:
        """A mistyped URL naming some other collection would read as an empty (free) calendar: refuse it."""
        self._calendar_response(_RESOURCETYPE)

    def _calendar_response(self, propfind: bytes) -> ElementTree.Element | None:
        """The PROPFIND (Depth 0) response for the collection, refused unless it is a calendar collection."""
        reply = self.send("PROPFIND", self.url, propfind, {**_XML, "Depth": "0"})
        if reply.status != 207:
            raise self.refused(reply, "finding the calendar")
        response = self._multistatus(reply.body).find(f"{_DAV}response")
        status = _status_code(response.findtext(f"{_DAV}status") if response is not None else None)
        if status is not None and status != 200:  # Xandikos answers a missing URL with 207 holding a 404
            raise self.refused(Reply(status, None, b""), "finding the calendar")
        kinds = _ok_prop(response, f"{_DAV}resourcetype")
        if kinds is None or kinds.find(f"{_CALDAV}calendar") is None:
            raise SourceUnavailable(self.shown, "not a CalDAV calendar collection")
        return response

    def _multistatus(self, body: bytes) -> ElementTree.Element:
        try:
            root = ElementTree.fromstring(body)
        except ElementTree.ParseError:
            root = None
        if root is None or root.tag != f"{_DAV}multistatus":
            raise SourceUnavailable(self.shown, "the server's reply is not a WebDAV multistatus")
        return root


def _ok_prop(response: ElementTree.Element | None, name: str) -> ElementTree.Element | None:
    """The property ``name`` from the 200 propstat of a multistatus response; None when the server did not
    give it (or marked the whole response as failed, e.g. 507 for a truncated result)."""
    if response is None or response.find(f"{_DAV}status") is not None:
        return None
    for propstat in response.iter(f"{_DAV}propstat"):
        found = propstat.find(f"{_DAV}prop/{name}")
        if found is not None and _status_code(propstat.findtext(f"{_DAV}status")) == 200:
            return found
    return None


def _status_code(line: str | None) -> int | None:
    """The code of a WebDAV status line (``HTTP/1.1 404 Not Found``), None when absent or garbled."""
    parts = (line or "").split()
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
