"""`readout worker` keeps anchoring the audit chains without a cron (READOUT_AUDIT_ANCHOR_FILE, at most once
per READOUT_AUDIT_ANCHOR_EVERY), and serves its own /metrics with --metrics-port while it runs."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from tests.e2e.test_worker_cli import ESC, ROOT, Operator, _opened, at


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_the_worker_anchors_the_heads_once_per_interval_and_verify_uses_them(tmp_path: Path) -> None:
    desk = _opened(f"sqlite:///{tmp_path / 'readout.db'}", tmp_path)
    anchors = tmp_path / "anchors.jsonl"
    desk.env["READOUT_AUDIT_ANCHOR_FILE"] = str(anchors)
    desk.env["READOUT_AUDIT_ANCHOR_EVERY"] = "3600"

    first = desk.worker(at(minutes=1))
    assert first["anchored"] is True
    (line,) = anchors.read_text().splitlines()
    assert ESC in line
    assert desk.worker(at(minutes=30))["anchored"] is False  # not due yet: the file keeps one anchor
    assert len(anchors.read_text().splitlines()) == 1
    assert desk.worker(at(hours=2))["anchored"] is True
    assert len(anchors.read_text().splitlines()) == 2

    verified = json.loads(desk("audit", "verify", "--anchor", str(anchors), "--json"))
    assert verified[ESC] == []


def test_the_worker_serves_metrics_on_loopback_while_it_runs(tmp_path: Path) -> None:
    desk = _opened(f"sqlite:///{tmp_path / 'readout.db'}", tmp_path)
    port = _free_port()
    command = desk.command("worker", "--every", "1", "--rounds", "20", "--metrics-port", str(port))
    running = subprocess.Popen(
        command, cwd=ROOT, env=desk.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        body = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as answer:
                    body = answer.read().decode()
                break
            except OSError:
                time.sleep(0.2)
        opened = [line for line in body.splitlines() if line.startswith("readout_escalations{")]
        assert sum(float(line.rsplit(" ", 1)[1]) for line in opened) == 1.0  # Globex, from the store
        assert "readout_worker_passes_total" in body
    finally:
        running.terminate()
        running.wait(timeout=30)


def test_a_taken_metrics_port_is_one_line_and_exit_2(tmp_path: Path) -> None:
    desk: Operator = _opened(f"sqlite:///{tmp_path / 'readout.db'}", tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ran = subprocess.run(
            desk.command("worker", "--once", "--metrics-port", str(port)),
            cwd=ROOT,
            env=desk.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert ran.returncode == 2, ran.stderr
    assert ran.stderr.count("\n") == 1
    assert f"127.0.0.1:{port}" in ran.stderr
