"""A tiny threaded HTTP(S) server on 127.0.0.1 whose answers the tests control, for the ``.ics`` feed reader.

Each path serves a ``Feed``: a status and body, optional validators (it answers conditional GETs with 304
itself), optional required Basic credentials, a delay, chunked or endless streaming, or a lying
Content-Length. Every request (GET, and PROPFIND or REPORT as a CalDAV client sends them) is recorded
(``seen``), and every connection accepted is counted (``connections``), so tests can check what the client
sent and that a refused client never connected.

Readout refuses loopback addresses unless the operator allows them: readers and settings pointed at this
server need ``OUTBOUND_ALLOW`` (the value of ``READOUT_OUTBOUND_ALLOW``) or ``LOOPBACK`` (the policy).
"""

from __future__ import annotations

import base64
import contextlib
import shutil
import socket
import ssl
import subprocess
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from readout.config import OutboundPolicy

__all__ = ["LOOPBACK", "OUTBOUND_ALLOW", "Feed", "FeedServer", "Seen", "closed_port", "self_signed_tls"]

OUTBOUND_ALLOW = "127.0.0.1"  # READOUT_OUTBOUND_ALLOW for servers on this machine's loopback address
LOOPBACK = OutboundPolicy.parse(OUTBOUND_ALLOW)


@dataclass
class Feed:
    """What the server answers on one path."""

    body: bytes = b""
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    credentials: tuple[str, str] | None = None  # Basic credentials required, else 401
    delay: float = 0.0  # seconds before answering
    chunked: bool = False  # stream without Content-Length
    chunk: int = 16384  # bytes per chunk when chunked
    pause: float = 0.0  # seconds between chunks when chunked
    endless: bool = False  # repeat the body forever (chunked), until the client hangs up
    declared_length: int | None = None  # send this Content-Length and the body, wait ``pause`` s, hang up


@dataclass(frozen=True)
class Seen:
    """One request as the server saw it."""

    path: str
    headers: dict[str, str]  # names lower-cased
    status: int


class FeedServer:
    """The server; use as a context manager. ``feeds`` maps a path to its ``Feed``."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.feeds: dict[str, Feed] = {}
        self.seen: list[Seen] = []
        self.connections = 0  # accepted, whether or not a request followed
        self.tls = tls
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05})

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self._httpd.server_address[1])

    def url(self, path: str, scheme: str = "http", userinfo: str = "") -> str:
        """A URL of this server; ``userinfo`` like ``"user:pw@"``."""
        return f"{scheme}://{userinfo}127.0.0.1:{self.port}{path}"

    def full_bodies(self, path: str) -> int:
        """How many 200 responses (full bodies) ``path`` got."""
        return sum(1 for s in self.seen if s.path == path and s.status == 200)

    def record(self, seen: Seen) -> None:
        """Note a request (called from handler threads)."""
        with self._lock:
            self.seen.append(seen)

    def connected(self) -> None:
        """Note an accepted connection (called from handler threads)."""
        with self._lock:
            self.connections += 1

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stopping.set()  # wakes handlers that are sleeping or streaming
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: FeedServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up mid-body or failing the TLS handshake are expected here: stay quiet."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        self.server.owner.connected()
        tls = self.server.owner.tls
        if tls is not None:  # the handshake runs here, in the connection's thread, not the accepting one
            self.request = tls.wrap_socket(self.request, server_side=True, do_handshake_on_connect=False)
            try:
                self.request.do_handshake()
            except OSError:
                self.request.close()
                raise
        super().setup()

    def finish(self) -> None:
        super().finish()
        if self.server.owner.tls is not None:
            self.request.close()  # socketserver closes the plain socket it accepted, not our TLS wrapper

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request log lines."""

    def do_PROPFIND(self) -> None:
        """Answered as a GET, once the request body is read (a CalDAV client sends one)."""
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.do_GET()

    do_REPORT = do_PROPFIND

    def do_GET(self) -> None:
        owner = self.server.owner
        path = self.path.split("?", 1)[0]
        feed = owner.feeds.get(path, Feed(status=404))
        owner.stopping.wait(feed.delay)
        status = self._status(feed)
        owner.record(Seen(path, {k.lower(): v for k, v in self.headers.items()}, status))
        self.close_connection = True
        self.send_response(status)
        self.send_header("Connection", "close")
        for name, value in {**feed.headers, "ETag": feed.etag, "Last-Modified": feed.last_modified}.items():
            if value is not None:
                self.send_header(name, value)
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="feeds"')
        body = feed.body if status not in (304, 401) else b""
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client refused the rest
            self._send_body(feed, body, owner.stopping)

    def _status(self, feed: Feed) -> int:
        if feed.credentials is not None:
            token = base64.b64encode(":".join(feed.credentials).encode()).decode()
            if self.headers.get("Authorization") != f"Basic {token}":
                return 401
        if feed.status == 200 and feed.etag is not None and self.headers.get("If-None-Match") == feed.etag:
            return 304
        modified = feed.last_modified
        if feed.status == 200 and modified is not None and self.headers.get("If-Modified-Since") == modified:
            return 304
        return feed.status

    def _send_body(self, feed: Feed, body: bytes, stopping: threading.Event) -> None:
        if feed.declared_length is not None:
            self.send_header("Content-Length", str(feed.declared_length))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            stopping.wait(feed.pause)
        elif feed.chunked or feed.endless:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            while not stopping.is_set():
                for start in range(0, len(body), feed.chunk):
                    piece = body[start : start + feed.chunk]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    self.wfile.flush()
                    stopping.wait(feed.pause)
                if not feed.endless:
                    break
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def self_signed_tls(folder: Path) -> tuple[ssl.SSLContext, Path] | None:
    """A server TLS context for 127.0.0.1 and the certificate file that trusts it; None without openssl."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"),
            *("-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context, cert
