"""``readout serve --workers N`` for real: uvicorn starts N processes that each build the app from the
environment and serve the same store; the start-up check still refuses a bad store with one line."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from readout.entrypoints.http import server

READOUT = [sys.executable, "-m", "readout.entrypoints.cli"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_two_worker_processes_serve_the_same_store(tmp_path: Path) -> None:
    port = _free_port()
    environ = {**os.environ, "READOUT_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}"}
    process = subprocess.Popen(
        [*READOUT, "serve", "--port", str(port), "--workers", "2"],
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        ready = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and ready is None:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
            except httpx.TransportError:
                time.sleep(0.2)
        assert ready is not None, "the server did not come up"
        assert ready.status_code == 200
        listed = httpx.get(f"http://127.0.0.1:{port}/v1/escalations", timeout=5)
        assert listed.status_code == 401  # the workers run the app, sign-in included
    finally:
        process.send_signal(signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
    assert output.count("Started server process") >= 2, output[-2000:]


def test_a_store_that_cannot_be_used_stops_the_start_before_any_worker(tmp_path: Path) -> None:
    environ = {**os.environ, "READOUT_DATABASE_URL": f"sqlite:///{tmp_path / 'missing' / 'x' / 'store.db'}"}
    ran = subprocess.run(
        [*READOUT, "serve", "--port", str(_free_port()), "--workers", "2"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ran.returncode == 5
    assert ran.stderr.startswith("readout: store unavailable:")
    assert "Started server process" not in ran.stdout + ran.stderr


def test_each_worker_keeps_the_pinned_clock(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("READOUT_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    monkeypatch.setenv(server.PINNED_NOW, "2026-11-12T09:00:00-06:00")
    app = server.worker_app()
    assert app.state.deps.clock() == datetime(2026, 11, 12, 15, 0, tzinfo=UTC)
