"""What a case document posted to the API (origin ``API_ORIGIN``) may name as a calendar (docs/intake.md).

A case file on an operator's disk may name any local file and any URL: whoever runs the CLI can read those
files anyway. A document posted over the API comes from another system, so its calendar references
(``people.X.calendar``, ``people.X.hold_calendar``, ``interpreters.N.calendar``,
``customer.cab_blackouts.N.calendar``) are held to two rules, checked each time the document is built:

- a local path is relative to the calendar root (``READOUT_CALENDAR_ROOT``) and stays inside it once ``..``
  and symbolic links are resolved; with no root set, no local path at all. Absolute paths, ``file:`` URLs and
  anything else with a scheme Readout does not fetch are refused;
- a URL is one the outbound guard (adapters/http/outbound.py) would let through: its host, an IP literal or
  every address the name resolves to, is public and reached over HTTPS, unless ``READOUT_OUTBOUND_ALLOW``
  names the host or address (then also plain ``http://`` and ``caldav://``). A name that cannot be resolved
  now is let through: the guard checks the addresses again on every request and connects only to those it
  checked, so a name pointed elsewhere after intake (DNS rebinding) still reaches no internal address.

A refusal is a ``ValueError`` whose message says what is expected; the schema turns it into the case file's
one-line error with the field path. Messages never show the calendar root nor a resolved path.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import stat
from pathlib import Path
from urllib.parse import urlsplit

from readout.adapters.casefile.schema import _URL, _remote, _shown
from readout.adapters.input_limits import file_kind
from readout.config import _DEFAULT_PORTS, _TRAVELS_AS, OutboundPolicy
from readout.domain.sources import REMOTE_SCHEMES, RemoteSource

__all__ = ["API_CALENDAR", "ApiIntake"]

API_CALENDAR = (
    "a calendar URL (https://, webcal://, caldavs://; http:// and caldav:// only to hosts on "
    "READOUT_OUTBOUND_ALLOW) or a path relative to the calendar root (READOUT_CALENDAR_ROOT)"
)
_NOT_REACHABLE = (
    "expected a calendar URL on a public host, or on a host or address READOUT_OUTBOUND_ALLOW names "
    "(loopback, private, link-local and other non-public addresses are refused); got {shown}"
)
_PLAIN_HTTP = (
    "expected https://, webcal:// or caldavs://; plain http:// and caldav:// only to a host or address "
    "READOUT_OUTBOUND_ALLOW names, got {shown}"
)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")

_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class ApiIntake:
    """The calendar rules for one build of an API document (it remembers the names it resolved)."""

    def __init__(self, calendar_root: Path | None, policy: OutboundPolicy) -> None:
        self._root = calendar_root
        self._policy = policy
        self._resolved: dict[tuple[str, int], tuple[_Address, ...] | None] = {}

    def calendar(self, value: str) -> Path | RemoteSource:
        """A calendar reference: a reachable URL, or a regular file inside the calendar root."""
        if _URL.match(value) and value.partition("://")[0].lower() in REMOTE_SCHEMES:
            return self.reachable(_remote(value, REMOTE_SCHEMES, API_CALENDAR))
        if _SCHEME.match(value):
            scheme = value.partition(":")[0].lower()
            raise ValueError(f"expected {API_CALENDAR}, got a {scheme}: URL")
        return self._local(value)

    def reachable(self, source: RemoteSource) -> RemoteSource:
        """``source`` when the outbound policy lets Readout reach it; ValueError otherwise."""
        from readout.adapters.http.outbound import is_public, permitted  # httpx: for API documents only

        travels = _TRAVELS_AS[source.scheme]
        try:
            parts = urlsplit(source.url)
            host, port = (parts.hostname or "").rstrip("."), parts.port or _DEFAULT_PORTS[travels]
        except ValueError:  # a port that is not a number or out of range
            raise ValueError(
                f"expected a calendar URL with a port from 1 to 65535, got {source.shown}"
            ) from None
        if not host:
            raise ValueError(f"expected a calendar URL with a host, got {source.shown}")
        if self._policy.lists_host(host, port):
            return source
        addresses = self._addresses(host, port)
        if addresses is None:  # not resolvable now: the guard checks it when fetched
            if travels == "http":  # plain http needs the allow-list, and nothing shows it lists this
                raise ValueError(_PLAIN_HTTP.format(shown=source.shown))
            return source
        if permitted(self._policy, travels, host, port, addresses):
            return source
        if travels == "http" and all(is_public(address) for address in addresses):
            raise ValueError(_PLAIN_HTTP.format(shown=source.shown))
        raise ValueError(_NOT_REACHABLE.format(shown=source.shown))

    def _addresses(self, host: str, port: int) -> tuple[_Address, ...] | None:
        """The addresses ``host`` is or resolves to; None when the name cannot be resolved now."""
        key = (host.lower(), port)
        if key not in self._resolved:
            self._resolved[key] = _literal(host) or _resolve(host, port)
        return self._resolved[key]

    def _local(self, value: str) -> Path:
        if self._root is None:
            raise ValueError(
                "expected a calendar URL (https://, webcal://, caldavs://): documents posted to the API may "
                "name no local file, since no calendar root is set (READOUT_CALENDAR_ROOT); "
                f"got {_shown(value)}"
            )
        if Path(value).is_absolute():
            raise ValueError(f"expected {API_CALENDAR}, got the absolute path {_shown(value)}")
        try:
            root = self._root.resolve()
            path = (root / value).resolve()
        except (OSError, ValueError, RuntimeError):  # a NUL byte, a symlink loop
            raise ValueError(f"calendar file not found under the calendar root: {_shown(value)}") from None
        if not path.is_relative_to(root) or path == root:
            raise ValueError(
                "expected a path that stays inside the calendar root (READOUT_CALENDAR_ROOT), "
                f"got {_shown(value)}"
            )
        try:
            mode = path.stat().st_mode
        except (OSError, ValueError):
            raise ValueError(f"calendar file not found under the calendar root: {_shown(value)}") from None
        if stat.S_ISDIR(mode):
            raise ValueError(f"calendar path is a folder, not an .ics file: {_shown(value)}")
        if not stat.S_ISREG(mode):
            raise ValueError(f"calendar path is {file_kind(mode)}, not a regular file: {_shown(value)}")
        return path


def _literal(host: str) -> tuple[_Address, ...] | None:
    """The address an IP literal names, including the legacy IPv4 forms a resolver accepts without asking
    DNS (``127.1``, ``2130706433``, ``0x7f.0.0.1``); None for a host name."""
    try:
        return (ipaddress.ip_address(host),)
    except ValueError:
        pass
    if not re.fullmatch(r"[0-9A-Fa-fXx.]+", host) or not host[0].isdigit():
        return None
    try:
        return (ipaddress.IPv4Address(socket.inet_aton(host)),)
    except OSError:
        return None


def _resolve(host: str, port: int) -> tuple[_Address, ...] | None:
    """Every address ``host`` resolves to; None when it cannot be resolved (the guard decides at fetch)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return None
    addresses: list[_Address] = []
    for info in found:
        try:
            addresses.append(ipaddress.ip_address(str(info[4][0]).partition("%")[0]))
        except ValueError:
            continue
    return tuple(dict.fromkeys(addresses)) or None
