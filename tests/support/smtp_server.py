"""A throwaway SMTP server for tests: aiosmtpd on 127.0.0.1, a free port, every message kept.

    with smtp_server() as server:                          # plain, no AUTH
        ...server.port, server.messages
    with smtp_server(credentials=("readout", "s3cret")):   # AUTH required (PLAIN/LOGIN, no TLS needed)
    with smtp_server(tls=self_signed_certificate(tmp)):    # STARTTLS offered and required

The port is chosen by the operating system when the listener binds (port 0), so there is no window in
which another process can take it. The server runs in its own thread and is stopped on exit.

``self_signed_certificate`` makes a certificate for 127.0.0.1 with the ``openssl`` command (the
``cryptography`` package is not a dependency of this project); it returns None when ``openssl`` is missing.
"""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

__all__ = ["Received", "SmtpServer", "TlsFiles", "self_signed_certificate", "smtp_server"]

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Received:
    """One accepted message: the envelope, the raw bytes, and how the session was secured."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes
    tls: bool
    authenticated: bool


@dataclass(frozen=True)
class TlsFiles:
    """A certificate and its key (PEM); the certificate is its own CA."""

    certificate: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.certificate, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts only this certificate (hostname checked)."""
        return ssl.create_default_context(cafile=str(self.certificate))


@dataclass
class SmtpServer:
    """What a test sees: where to connect and what arrived (messages, AUTH attempts)."""

    host: str
    port: int
    messages: list[Received] = field(default_factory=list)
    auth_attempts: list[tuple[str, str]] = field(default_factory=list)  # (user, password) as received
    refuse: Collection[str] = ()

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.lower() in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        self.messages.append(
            Received(
                mail_from=envelope.mail_from or "",
                rcpt_tos=tuple(envelope.rcpt_tos),
                content=content,
                tls=session.ssl is not None,
                authenticated=bool(session.authenticated),
            )
        )
        return "250 Message accepted for delivery"


class _Authenticator:
    def __init__(self, server: SmtpServer, user: str, password: str) -> None:
        self._server, self._user, self._password = server, user, password

    def __call__(self, smtp: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> Any:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, password = data.login.decode(), data.password.decode()
        self._server.auth_attempts.append((user, password))
        return AuthResult(success=(user, password) == (self._user, self._password), handled=False)


class _FreePortController(Controller):
    """A Controller bound to port 0 that learns its real port before its first self-connection."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


@contextmanager
def smtp_server(
    *,
    credentials: tuple[str, str] | None = None,
    tls: TlsFiles | None = None,
    refuse: Collection[str] = (),
) -> Iterator[SmtpServer]:
    """Run a server for the ``with`` block. ``credentials``: AUTH is required and only these pass;
    ``tls``: STARTTLS is offered and required before anything else; ``refuse``: recipients answered 550."""
    server = SmtpServer(HOST, 0, refuse={a.lower() for a in refuse})
    options: dict[str, Any] = {}
    if credentials is not None:
        # AUTH over plaintext only when there is no TLS to require (aiosmtpd refuses it otherwise).
        options.update(
            authenticator=_Authenticator(server, *credentials),
            auth_required=True,
            auth_require_tls=tls is not None,
        )
    if tls is not None:
        options.update(tls_context=tls.server_context(), require_starttls=True)
    controller = _FreePortController(server, hostname=HOST, port=0, ready_timeout=5.0, **options)
    controller.start()
    server.port = controller.port
    try:
        yield server
    finally:
        controller.stop()


def self_signed_certificate(folder: Path) -> TlsFiles | None:
    """A throwaway certificate for 127.0.0.1 in ``folder``, or None when ``openssl`` is not installed."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    files = TlsFiles(folder / "smtp-cert.pem", folder / "smtp-key.pem")
    request = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
    san = ["-addext", "subjectAltName=IP:127.0.0.1"]
    out = ["-keyout", str(files.key), "-out", str(files.certificate)]
    subprocess.run([openssl, *request, *san, *out], check=True, capture_output=True, timeout=30)
    return files
