"""`make serve`'s script for real (examples/serve_demo.py): it seeds a store with the real CLI and serves it;
a person signs in with the demo password, and a second system, with the printed token, posts an escalation
record and places holds."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.http.conftest import case_json
from tests.support.dav_servers import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The demo service's base URL and the ticketing system's token."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("READOUT_")}
    env["READOUT_DEMO_STORE"] = str(tmp_path / "serve.db")
    process = subprocess.Popen(
        [sys.executable, "examples/serve_demo.py", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base, output = f"http://127.0.0.1:{port}", ""
    try:
        assert process.stdout is not None
        while "API docs:" not in output:  # the seeding's last line before the server starts
            line = process.stdout.readline()
            assert line, f"serve_demo stopped: {output[-3000:]}"
            output += line
        token = re.search(r"shown only now\):\s+(\S+)", output)
        assert token, output[-2000:]
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the demo service did not come up"
            time.sleep(0.2)
        yield base, token.group(1)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def test_a_person_signs_in_and_a_ticketing_system_posts_a_record(served: tuple[str, str]) -> None:
    base, token = served
    with httpx.Client(base_url=base, timeout=30) as web:
        signed_in = web.post("/v1/session", json={"user": "dana", "password": "readout-demo-password"})
        assert signed_in.status_code == 200
        cookie = signed_in.headers["set-cookie"]
        assert "HttpOnly" in cookie
        assert "readout-demo-password" not in cookie
        name, _, rest = cookie.partition("=")
        me = web.get("/v1/session", headers={"Cookie": f"{name}={rest.split(';')[0]}"})
        assert me.json()["user"]["id"] == "dana"

    bearer = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=bearer, timeout=60) as ticketing:
        listed = ticketing.get("/v1/escalations").json()
        assert {e["id"] for e in listed} >= {"ESC-48213"}
        record = ticketing.get("/v1/escalations/ESC-48213").json()
        assert record["state"]
        document = case_json("globex-sso-outage")  # as the ticketing system sends it
        document["escalation"]["id"] = "ESC-70001"
        opened = ticketing.post("/v1/escalations", json=document, headers={"Idempotency-Key": "ticket-70001"})
        assert opened.status_code == 201, opened.text
        assert opened.json()["plan"]["status"] == "ready"
        held = ticketing.post("/v1/escalations/ESC-70001/holds", headers={"Idempotency-Key": "hold-70001"})
        assert held.status_code == 200, held.text
        assert held.json()["placed"]
