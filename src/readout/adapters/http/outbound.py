"""The outbound guard: every HTTP request to a calendar (feeds, CalDAV reads, holds) passes through it.

Before anything is sent, the request's host is resolved and **every** address it resolves to is checked; the
connection then goes to one of exactly those addresses, never to the name resolved again, so a name cannot
point somewhere else between the check and the connection (DNS rebinding), and once connected the socket's
peer address is checked to be one of them. Each request is checked, so a redirect is checked like the first
request. (Documents posted to the API are checked against the same policy when they are built:
casefile/intake.py; this guard is what holds when a name changes after that.)

Allowed without configuration: public addresses over HTTPS (``is_global`` and not multicast, and for an IPv6
address that carries an IPv4 one, as IPv4-mapped, 6to4, Teredo and NAT64 addresses do, that one public too).
Everything else is refused unless ``READOUT_OUTBOUND_ALLOW`` (``config.OutboundPolicy``) lists the host by
name or lists the address: loopback, link-local (169.254.169.254), private (RFC 1918, ULA), unspecified,
multicast, shared, reserved and documentation addresses, and plain ``http`` to any address. A name is refused
when any one of its addresses is.

A refusal is one reason, ``REFUSED``, raised before any connection is attempted: an open port and a closed one
answer alike, so a plan cannot serve as a port scanner. The HTTP(S)_PROXY variables are not used (an explicit
transport turns httpx's proxy support off): a proxy would resolve and connect on our behalf, unchecked.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Iterable, Sequence
from typing import Any

import httpcore
import httpx

from readout.config import OutboundPolicy

__all__ = ["REFUSED", "GuardedTransport", "OutboundRefused", "is_public", "permitted"]

REFUSED = "not allowed by the outbound policy (READOUT_OUTBOUND_ALLOW)"
_PORTS = {"http": 80, "https": 443}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class OutboundRefused(httpx.TransportError):
    """A request the outbound policy refuses; nothing was sent and no connection attempted."""


def is_public(address: _Address) -> bool:
    """Whether ``address`` may be reached without the operator's say-so: globally routable unicast."""
    if not address.is_global or address.is_multicast:
        return False
    return all(is_public(inner) for inner in _embedded(address))


def _embedded(address: _Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (a 6to4 or NAT64 address of 127.0.0.1 is global itself)."""
    if isinstance(address, ipaddress.IPv4Address):
        return []
    found = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
    if address in _NAT64:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return [inner for inner in found if inner is not None]


def _unmapped(address: _Address) -> _Address:
    """``::ffff:127.0.0.1`` as ``127.0.0.1``, so an allow-list entry of either form matches both."""
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return mapped or address


def permitted(
    policy: OutboundPolicy, scheme: str, host: str, port: int, addresses: Sequence[_Address]
) -> bool:
    """Whether a request to ``scheme://host:port``, which resolved to ``addresses``, may be sent."""
    if policy.lists_host(host, port):
        return True
    return bool(addresses) and all(
        policy.lists_address(_unmapped(address), port) or (scheme == "https" and is_public(address))
        for address in addresses
    )


def _resolve(host: str, port: int) -> tuple[str, ...]:
    """Every address ``host`` resolves to, in the resolver's order."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:  # socket.gaierror: failure_reason says "could not be resolved"
        raise httpx.ConnectError("host name could not be resolved") from error
    return tuple(dict.fromkeys(str(info[4][0]) for info in found))


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport, with each request checked against ``policy`` and its connection pinned to the
    addresses checked. One per client: the checked addresses of the client's requests live here."""

    def __init__(self, policy: OutboundPolicy, tls: ssl.SSLContext) -> None:
        super().__init__(verify=tls)
        self._policy = policy
        self._checked: dict[tuple[str, int], tuple[str, ...]] = {}
        # httpx takes no network backend: its pool is replaced by one that connects to checked addresses only.
        self._pool = httpcore.ConnectionPool(
            ssl_context=tls, network_backend=_CheckedAddresses(self._checked)
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Resolve, check every address, then send (or raise OutboundRefused without connecting)."""
        url = request.url
        if url.scheme not in _PORTS:
            raise httpx.UnsupportedProtocol("not an http or https URL", request=request)
        host, port = url.raw_host.decode("ascii"), url.port or _PORTS[url.scheme]
        addresses = _resolve(host, port)
        parsed = [ipaddress.ip_address(address) for address in addresses]
        if not permitted(self._policy, url.scheme, host, port, parsed):
            raise OutboundRefused(REFUSED, request=request)
        self._checked[(host, port)] = addresses
        return super().handle_request(request)


class _CheckedAddresses(httpcore.SyncBackend):
    """Connects to the addresses checked for a host and port, in the resolver's order; never resolves."""

    def __init__(self, checked: dict[tuple[str, int], tuple[str, ...]]) -> None:
        super().__init__()
        self._checked = checked

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        """A connection to one of the checked addresses of ``host``; OutboundRefused when none was checked,
        or when the connection's peer is not one of them (checked again once connected)."""
        addresses = self._checked.get((host, port))
        if not addresses:
            raise OutboundRefused(REFUSED)
        *others, last = addresses
        for address in others:
            try:
                stream = super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError:
                continue
            return _connected_to(stream, addresses)
        return _connected_to(
            super().connect_tcp(last, port, timeout, local_address, socket_options), addresses
        )


def _connected_to(stream: httpcore.NetworkStream, addresses: Sequence[str]) -> httpcore.NetworkStream:
    """``stream`` when its peer is one of the checked ``addresses``; closed and OutboundRefused otherwise."""
    try:
        peer = ipaddress.ip_address(str(stream.get_extra_info("server_addr")[0]).partition("%")[0])
    except (OSError, TypeError, IndexError, ValueError):
        peer = None
    if peer is None or peer not in {ipaddress.ip_address(address.partition("%")[0]) for address in addresses}:
        stream.close()
        raise OutboundRefused(REFUSED)
    return stream
