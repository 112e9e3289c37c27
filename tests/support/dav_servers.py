"""Throwaway CalDAV servers for tests: Radicale and Xandikos as subprocesses on free loopback ports.

    with throwaway_dav_server("radicale") as server:   # or "xandikos"
        server.collection_url("team")                   # http://127.0.0.1:PORT/alice/team/
        server.caldav_url("team")                       # caldav://127.0.0.1:PORT/alice/team/

Each server runs in its own process, in its own temporary folder, so nothing survives from one test session
to the next (Radicale caches parsed time zones per process). The server answers before the context is
entered and is stopped (terminate, then kill) and its folder deleted afterwards, whatever happens.

Radicale asks for HTTP Basic credentials (``server.username`` / ``server.password``, htpasswd in plain
text). Xandikos only does Basic auth over TLS, so it runs without authentication.

Readout refuses loopback addresses and plain http unless the operator allows them: settings pointed at these
servers need ``READOUT_OUTBOUND_ALLOW=OUTBOUND_ALLOW``, adapters built directly ``policy=LOOPBACK``, and
default credentials ``READOUT_CALENDAR_ORIGIN=server.base_url`` (``server.environ()`` has all three).

``stub_server(reply)`` is the opposite: a bare socket server that answers every request with the same raw
bytes, or (``reply=None``) accepts connections and never answers, as a hung server does.
"""

from __future__ import annotations

import http.client
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from readout.config import OutboundPolicy

__all__ = [
    "DAV_SERVERS",
    "LOOPBACK",
    "OUTBOUND_ALLOW",
    "DavServer",
    "DavServerUnavailable",
    "free_port",
    "stub_server",
    "throwaway_dav_server",
]

DAV_SERVERS = ("radicale", "xandikos")
OUTBOUND_ALLOW = "127.0.0.1"  # READOUT_OUTBOUND_ALLOW: the servers listen on loopback and speak plain http
LOOPBACK = OutboundPolicy.parse(OUTBOUND_ALLOW)
_START_ATTEMPTS = 3  # another process can take the free port between choosing it and binding it
_START_SECONDS = 30.0


class DavServerUnavailable(RuntimeError):
    """The CalDAV server did not start (its log is in the message)."""


@dataclass(frozen=True)
class DavServer:
    """A running server: where it listens and where its calendar collections go."""

    kind: str
    port: int
    home: str  # the path calendar collections are created under, with both slashes
    username: str | None = None
    password: str | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    def collection_url(self, name: str) -> str:
        """The http URL of the calendar collection ``name`` (which may not exist yet)."""
        return f"{self.base_url}{self.home}{name}/"

    def caldav_url(self, name: str) -> str:
        """The same collection as a case file names it."""
        return f"caldav://127.0.0.1:{self.port}{self.home}{name}/"

    def environ(self) -> dict[str, str]:
        """The settings that let ``readout`` reach this server: the allow-list, and the default calendar
        credentials with the origin they are for (none for Xandikos)."""
        allowed = {"READOUT_OUTBOUND_ALLOW": OUTBOUND_ALLOW}
        if self.username is None:
            return allowed
        return {
            **allowed,
            "READOUT_CALENDAR_USERNAME": self.username,
            "READOUT_CALENDAR_PASSWORD": self.password or "",
            "READOUT_CALENDAR_ORIGIN": self.base_url,
        }


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _radicale(root: Path, port: int) -> tuple[list[str], DavServer]:
    users = root / "users"
    users.write_text("alice:wonderland\n", encoding="utf-8")
    command = [
        *(sys.executable, "-m", "radicale", "--config", ""),
        *("--server-hosts", f"127.0.0.1:{port}"),
        *("--storage-filesystem-folder", str(root / "collections")),
        *("--auth-type", "htpasswd", "--auth-htpasswd-filename", str(users)),
        *("--auth-htpasswd-encryption", "plain", "--auth-delay", "0"),
        *("--rights-type", "owner_only", "--logging-level", "warning"),
    ]
    return command, DavServer("radicale", port, "/alice/", "alice", "wonderland")


def _xandikos(root: Path, port: int) -> tuple[list[str], DavServer]:
    command = [
        *(sys.executable, "-m", "xandikos", "serve", "--no-detect-systemd", "--defaults"),
        *("-d", str(root / "collections"), "--state-dir", str(root / "state")),
        *("-l", "127.0.0.1", "-p", str(port), "--current-user-principal", "/user/"),
    ]
    return command, DavServer("xandikos", port, "/user/calendars/")


_COMMANDS = {"radicale": _radicale, "xandikos": _xandikos}


def _answers(server: DavServer) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=1)
    try:
        connection.request("OPTIONS", "/")
        return connection.getresponse().status < 500
    except OSError:
        return False
    finally:
        connection.close()


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _start(kind: str, root: Path, log: Path) -> tuple[subprocess.Popen[bytes], DavServer]:
    for _ in range(_START_ATTEMPTS):
        command, server = _COMMANDS[kind](root, free_port())
        with log.open("wb") as output:
            process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, cwd=root)
        deadline = time.monotonic() + _START_SECONDS
        while process.poll() is None and time.monotonic() < deadline:
            if _answers(server):
                return process, server
            time.sleep(0.05)
        _stop(process)
    raise DavServerUnavailable(f"{kind} did not start:\n{log.read_text(errors='replace')[-2000:]}")


@contextmanager
def throwaway_dav_server(kind: str) -> Iterator[DavServer]:
    """Start a fresh ``kind`` server (``radicale`` or ``xandikos``); yield it; stop it and delete its data."""
    root = Path(tempfile.mkdtemp(prefix=f"readout-{kind}-"))
    try:
        process, server = _start(kind, root, root / "server.log")
        try:
            yield server
        finally:
            _stop(process)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def stub_server(reply: bytes | None) -> Iterator[int]:
    """Listen on a free loopback port (yielded); answer each request with ``reply`` and hang up, or with
    ``reply=None`` say nothing at all, until the context ends."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stopping = threading.Event()
    accepted: list[socket.socket] = []

    def serve() -> None:
        while not stopping.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(connection)
            if reply is not None:
                connection.settimeout(2)
                try:
                    connection.recv(65536)
                    connection.sendall(reply)
                except OSError:
                    pass
                connection.close()

    thread = threading.Thread(target=serve, name="stub-dav-server", daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stopping.set()
        thread.join(timeout=5)
        listener.close()
        for connection in accepted:
            connection.close()
