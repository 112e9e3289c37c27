"""Where a calendar is: a local ``.ics`` file (an absolute path) or a remote source named by URL."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["CALDAV_SCHEMES", "FEED_SCHEMES", "REMOTE_SCHEMES", "CalendarSource", "RemoteSource"]


FEED_SCHEMES = ("http", "https", "webcal")  # an .ics feed
CALDAV_SCHEMES = ("caldav", "caldavs")  # a CalDAV collection
REMOTE_SCHEMES = FEED_SCHEMES + CALDAV_SCHEMES


@dataclass(frozen=True)
class RemoteSource:
    """A calendar named by URL (``https://``, ``webcal://``, ``caldav://``). Its credentials never come from
    the case file; ``shown`` is the URL without user information or query, for messages, plans and audit."""

    url: str

    @property
    def scheme(self) -> str:
        """The URL's scheme, lower case (``https``, ``webcal``, ``caldavs``...)."""
        return self.url.partition("://")[0].lower()

    @property
    def is_caldav(self) -> bool:
        """Whether the URL names a CalDAV collection (``caldav://``, ``caldavs://``): holds can go there."""
        return self.scheme in CALDAV_SCHEMES

    @property
    def shown(self) -> str:
        """The URL with any ``user:password@`` and fragment removed and its query (which may carry a token,
        ``?token=...``) replaced by ``?(redacted)``: what messages name and plans and the audit trail keep."""
        scheme, authority, path, query = _url_parts(self.url)
        host = authority.rpartition("@")[2]
        if ":" in host and not host.rpartition(":")[2].isdigit() and not host.endswith("]"):
            return f"{scheme}://(unreadable host)/"  # e.g. a password with a raw "/" in it: show nothing
        return f"{scheme}://{host}{path}{'?(redacted)' if query else ''}"

    @property
    def carries_query(self) -> bool:
        """Whether the URL has a query (``?token=...``): a secret that must not be stored with a case."""
        return bool(_url_parts(self.url)[3])

    @property
    def carries_credentials(self) -> bool:
        """Whether the URL holds a ``user:password@`` (never sent: credentials come from the settings)."""
        return "@" in _url_parts(self.url)[1]


def _url_parts(url: str) -> tuple[str, str, str, str]:
    """Scheme, authority, path (with its leading ``/``) and query of ``url``; the fragment is dropped."""
    scheme, _, rest = url.partition("://")
    rest, _, query = rest.partition("#")[0].partition("?")
    authority, slash, path = rest.partition("/")
    return scheme, authority, slash + path, query


CalendarSource = Path | RemoteSource
