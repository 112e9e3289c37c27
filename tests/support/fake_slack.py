"""A fake Slack Web API on 127.0.0.1 (a real HTTP server in a thread) for the Slack adapter's tests and the
leadership channel's end-to-end tests.

It answers ``chat.postMessage``, ``chat.update``, ``chat.postEphemeral``, ``views.open``,
``conversations.history`` and ``conversations.replies`` (both with message metadata) as Slack does (HTTP 200
with ``ok``), keeps the channel's messages, records every call (``calls``, ``of(method)``), checks the bearer
token (``invalid_auth`` / ``not_authed`` otherwise), and can be told to answer the next N calls with 429 and
``Retry-After`` or with 500 (``fail_next``), or to fail a call after carrying it out (``lose_answers``: the
message is posted but the client sees a 500, as when a connection drops after Slack took the request).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["Call", "FakeSlack", "fake_slack"]

TOKEN = "xoxb-test-bot-token"
CHANNEL = "C0LEADERS"


@dataclass(frozen=True)
class Call:
    """One request the fake received: the Web API method and its arguments (JSON, form and query merged)."""

    method: str
    args: dict[str, Any]
    authorization: str


@dataclass
class FakeSlack:
    """The fake's state; ``url`` is its Web API base (``READOUT_SLACK_API_URL``)."""

    token: str = TOKEN
    channel: str = CHANNEL
    url: str = ""
    calls: list[Call] = field(default_factory=list)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)  # ts -> message as Slack keeps it
    _failures: list[tuple[int, float | None]] = field(default_factory=list)
    _lose: int = 0
    _ts: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def of(self, method: str) -> list[Call]:
        """The calls of ``method`` so far, in order."""
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def fail_next(self, count: int, status: int = 429, retry_after: float | None = 7) -> None:
        """Answer the next ``count`` calls with ``status`` (with ``Retry-After`` when 429), doing nothing."""
        with self._lock:
            self._failures.extend([(status, retry_after if status == 429 else None)] * count)

    def lose_answers(self, count: int) -> None:
        """Carry out the next ``count`` calls but answer them with a 500 (the caller cannot know)."""
        with self._lock:
            self._lose += count

    def top_level(self) -> list[dict[str, Any]]:
        """The channel's top-level messages, oldest first."""
        with self._lock:
            return [m for m in self.messages.values() if "thread_ts" not in m]

    def thread(self, ts: str) -> list[dict[str, Any]]:
        """The replies under the message ``ts``, oldest first."""
        with self._lock:
            return [m for m in self.messages.values() if m.get("thread_ts") == ts]

    # Answering -------------------------------------------------------------------------------------------

    def answer(
        self, method: str, args: dict[str, Any], authorization: str
    ) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            self.calls.append(Call(method, args, authorization))
            if self._failures:
                status, wait = self._failures.pop(0)
                headers = {"Retry-After": f"{wait:g}"} if wait is not None else {}
                body: Any = {"ok": False, "error": "ratelimited"} if status == 429 else "upstream failure"
                return status, headers, body
            if not authorization:
                return 200, {}, {"ok": False, "error": "not_authed"}
            if authorization != f"Bearer {self.token}":
                return 200, {}, {"ok": False, "error": "invalid_auth"}
            status, answer = 200, self._carry_out(method, args)
            if self._lose and answer.get("ok"):
                self._lose -= 1
                return 500, {}, "lost"
            return status, {}, answer

    def _carry_out(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        in_channel = ("chat.postMessage", "chat.update", "conversations.history", "conversations.replies")
        if method in in_channel and args.get("channel") != self.channel:
            return {"ok": False, "error": "channel_not_found"}
        if method == "chat.postMessage":
            self._ts += 1
            ts = f"1700000000.{self._ts:06d}"
            message = {
                "type": "message",
                "ts": ts,
                "text": args.get("text", ""),
                "blocks": _json(args, "blocks"),
            }
            metadata = _json(args, "metadata")
            if metadata:
                message["metadata"] = metadata
            if args.get("thread_ts"):
                if args["thread_ts"] not in self.messages:
                    return {"ok": False, "error": "thread_not_found"}
                message["thread_ts"] = args["thread_ts"]
            self.messages[ts] = message
            return {"ok": True, "channel": self.channel, "ts": ts, "message": message}
        if method == "chat.update":
            found = self.messages.get(str(args.get("ts")))
            if found is None:
                return {"ok": False, "error": "message_not_found"}
            found.update(text=args.get("text", ""), blocks=_json(args, "blocks"), edited=True)
            return {"ok": True, "channel": self.channel, "ts": found["ts"]}
        if method in ("conversations.history", "conversations.replies"):
            with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
            if method == "conversations.history":
                listed = [m for m in self.messages.values() if "thread_ts" not in m]
                listed.reverse()  # newest first, as Slack lists history
            else:
                parent = str(args.get("ts"))
                listed = [
                    m for m in self.messages.values() if m["ts"] == parent or m.get("thread_ts") == parent
                ]
            shown = [m if with_metadata else {k: v for k, v in m.items() if k != "metadata"} for m in listed]
            return {"ok": True, "messages": shown[: int(args.get("limit") or 100)], "has_more": False}
        if method == "chat.postEphemeral":
            if not args.get("user") or not args.get("channel"):
                return {"ok": False, "error": "invalid_arguments"}
            return {"ok": True, "message_ts": "1700000000.999999"}
        if method == "views.open":
            view = _json(args, "view")
            if not args.get("trigger_id") or not isinstance(view, dict):
                return {"ok": False, "error": "invalid_arguments"}
            return {"ok": True, "view": {"id": "V0MODAL", **view}}
        return {"ok": False, "error": "unknown_method"}


def _json(args: dict[str, Any], name: str) -> Any:
    """An argument that is JSON, whether sent in a JSON body (already decoded) or as a form field."""
    value = args.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            method = parts.path.rsplit("/", 1)[-1]
            args: dict[str, Any] = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if raw:
                if "json" in (self.headers.get("Content-Type") or ""):
                    args.update(json.loads(raw))
                else:
                    args.update({k: v[-1] for k, v in parse_qs(raw.decode()).items()})
            status, headers, body = fake.answer(method, args, self.headers.get("Authorization", ""))
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(status)
            kind = "text/plain" if isinstance(body, str) else "application/json; charset=utf-8"
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


def fake_slack() -> Iterator[FakeSlack]:
    """Serve a fake Slack until the generator is closed (use as a pytest fixture's body)."""
    fake = FakeSlack()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/api/"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
