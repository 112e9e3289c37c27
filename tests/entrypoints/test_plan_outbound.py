"""`readout plan` with calendars the outbound policy refuses (issue 9, item 5), as a user runs it.

A case file could name any URL; before, the plan told an open port ("HTTP 404") from a closed one
("connection refused") on loopback and private addresses, and kept a feed's ``?token=...`` in the plan.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from readout.adapters.http.outbound import REFUSED
from readout.entrypoints.cli import main
from tests.support.ics_http_server import OUTBOUND_ALLOW, Feed, FeedServer, closed_port

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "globex-sso-outage"
SECRET = "SECRET-feed-token-4711"


@pytest.fixture
def case(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The Globex example copied; Dana's calendar is set per test. No allow-list unless a test sets one."""
    monkeypatch.delenv("READOUT_OUTBOUND_ALLOW", raising=False)
    shutil.copytree(EXAMPLE, tmp_path / "globex")
    return tmp_path / "globex" / "case.yaml"


def plan_with_dana_at(case: Path, url: str, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    text = (EXAMPLE / "case.yaml").read_text()
    case.write_text(text.replace("calendars/dana.ics", url))
    assert main(["plan", str(case), *args]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return out


def dana(plan: dict[str, Any]) -> list[str]:
    return [u["error"] for u in plan["unknown"] if u["id"] == "dana"]


def test_issue_9_a_refused_open_port_and_a_refused_closed_port_plan_alike(
    case: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with FeedServer() as server:
        server.feeds["/dana.ics"] = Feed(status=404)
        url = server.url("/dana.ics")
        while_open = plan_with_dana_at(case, url, capsys, "--json", "--all")
        assert server.connections == 0
    while_closed = plan_with_dana_at(case, url, capsys, "--json", "--all")
    assert while_open == while_closed
    assert dana(json.loads(while_open)) == [f"{url}: {REFUSED}"]


def test_with_the_allow_list_the_port_is_reached(
    case: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("READOUT_OUTBOUND_ALLOW", OUTBOUND_ALLOW)
    with FeedServer() as server:
        server.feeds["/dana.ics"] = Feed(status=404)
        url = server.url("/dana.ics")
        assert dana(json.loads(plan_with_dana_at(case, url, capsys, "--json"))) == [
            f"{url}: HTTP 404 Not Found"
        ]
        assert server.connections == 1
    assert dana(json.loads(plan_with_dana_at(case, url, capsys, "--json"))) == [f"{url}: connection refused"]


@pytest.mark.parametrize("allowed", [False, True])
def test_issue_9_a_feed_token_is_never_in_the_plan(
    case: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, allowed: bool
) -> None:
    if allowed:
        monkeypatch.setenv("READOUT_OUTBOUND_ALLOW", OUTBOUND_ALLOW)
    url = f"http://127.0.0.1:{closed_port()}/dana.ics?token={SECRET}"
    as_json = plan_with_dana_at(case, url, capsys, "--json", "--all")
    readable = plan_with_dana_at(case, url, capsys)
    assert SECRET not in as_json + readable
    (error,) = dana(json.loads(as_json))
    assert error.startswith(f"{url.partition('?')[0]}?(redacted): ")
