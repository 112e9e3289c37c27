"""A local webhook receiver on 127.0.0.1 for the webhook channel tests: records every POST (headers and raw
body) and answers as scripted (a status with headers, optionally after a delay), 200 "ok" otherwise."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Received", "WebhookReceiver", "webhook_receiver"]


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    answered: int  # the status it was answered with

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    url: str = ""
    received: list[Received] = field(default_factory=list)
    _script: deque[tuple[int, dict[str, str], str, float]] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer_next(
        self, status: int, *, count: int = 1, headers: dict[str, str] | None = None, body: str = "",
        delay: float = 0.0,
    ) -> None:  # fmt: skip
        for _ in range(count):
            self._script.append((status, headers or {}, body, delay))

    def delivered(self) -> list[Received]:
        """What was answered with a 2xx."""
        return [r for r in self.received if 200 <= r.answered < 300]

    def _next(self) -> tuple[int, dict[str, str], str, float]:
        with self._lock:
            return self._script.popleft() if self._script else (200, {}, "ok", 0.0)


def _handler(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            status, headers, body, delay = receiver._next()
            receiver.received.append(
                Received(self.path, {k.lower(): v for k, v in self.headers.items()}, raw, status)
            )
            if delay:
                time.sleep(delay)
            data = body.encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except OSError:  # the client gave up (a timeout test)
                pass

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


def webhook_receiver(path: str = "/hook") -> Iterator[WebhookReceiver]:
    """Serve a receiver until the generator is closed (use as a pytest fixture's body)."""
    receiver = WebhookReceiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
