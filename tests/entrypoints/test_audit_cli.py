"""`readout audit explain | export | anchor | verify --anchor` through the real entry point on SQLite: explain
agrees with `readout plan --json --all` for the Globex and Initech examples, the JSON Lines export verifies
with the stand-alone script docs/audit.md gives (and fails once a line is edited), the HTML report reads in
local time and UTC, and an anchor catches a tail cut behind the stored head."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from readout.entrypoints.cli import main

ROOT = Path(__file__).resolve().parents[2]
USERS = ROOT / "examples" / "users.yaml"
GLOBEX = ROOT / "examples" / "globex-sso-outage" / "case.yaml"
FREEZE = ROOT / "examples" / "cab-freeze-no-slot" / "case.yaml"
T0, T1 = "2026-11-12T09:00:00-06:00", "2026-11-23T12:00:00+01:00"
BEST = "2026-11-17T18:00:00Z"


class Cli:
    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    def __call__(self, *args: str, code: int = 0) -> str:
        got = main(list(args))
        out, err = self.capsys.readouterr()
        assert got == code, err or out
        return out


@pytest.fixture
def readout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    monkeypatch.setenv("READOUT_DATABASE_URL", f"sqlite:///{tmp_path / 'readout.db'}")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("READOUT_SMTP_HOST", raising=False)
    cli = Cli(capsys)
    cli("users", "import", str(USERS))
    return cli


@pytest.mark.parametrize(("case", "esc", "now"), [(GLOBEX, "ESC-48213", T0), (FREEZE, "ESC-51007", T1)])
def test_explain_agrees_with_plan_json_all(readout: Cli, case: Path, esc: str, now: str) -> None:
    plan = json.loads(readout("plan", str(case), "--json", "--all", "--now", now))
    readout("open", str(case), "--as", "priya", "--now", now)
    asked = {c["start"]: ("candidate", ()) for c in plan["candidates"]}
    asked |= {n["start"]: ("near_miss", tuple(n["waivers"])) for n in plan["near_misses"]}
    for start, (verdict, families) in asked.items():
        answer = json.loads(readout("audit", "explain", esc, "--slot", start, "--json"))["plans"][-1]
        assert (answer["verdict"], tuple(answer["families"])) == (verdict, families), start
    ranked = [c["start"] for c in plan["candidates"]]
    for rank, start in enumerate(ranked[:3], 1):
        assert (
            json.loads(readout("audit", "explain", esc, "--slot", start, "--json"))["plans"][-1]["rank"]
            == rank
        )


def test_explain_in_words_names_the_blocking_families_and_the_hold(readout: Cli) -> None:
    readout("open", str(GLOBEX), "--as", "priya", "--now", T0)
    readout("hold", "ESC-48213", "--as", "dana", "--now", T0)
    night = readout("audit", "explain", "ESC-48213", "--slot", "2026-11-17T06:00:00Z")
    best = readout("audit", "explain", "ESC-48213", "--slot", BEST)
    assert "Tue 17 Nov 00:00 Mexico City (06:00 UTC)" in night
    assert re.search(r"rejected: blocked by COVERAGE, CUSTOMER_HOURS", night)
    assert "OFFERED: compliant, a candidate, rank 1" in best
    assert "hold placed by dana" in best
    assert "audit explain needs --slot" in _stderr(readout, "audit", "explain", "ESC-48213")


def _stderr(readout: Cli, *args: str) -> str:
    got = main(list(args))
    _, err = readout.capsys.readouterr()
    assert got == 2
    return err


def _offline_script(tmp_path: Path) -> Path:
    doc = (ROOT / "docs" / "audit.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", doc, flags=re.S)
    assert len(blocks) == 1
    path = tmp_path / "verify_export.py"
    path.write_text(blocks[0])
    return path


def _run(script: Path, export: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-I", str(script), str(export)], capture_output=True, text=True, check=False
    )


def test_a_jsonl_export_verifies_offline_with_the_documented_script(readout: Cli, tmp_path: Path) -> None:
    readout("open", str(FREEZE), "--as", "priya", "--now", T1)
    readout(
        "approve",
        "ESC-51007",
        "--slot",
        "2026-11-24T11:00:00Z",
        "--as",
        "omar",
        "--reason",
        "ok",
        "--now",
        T1,
    )
    export = tmp_path / "out" / "audit.jsonl"
    export.parent.mkdir()
    assert readout("audit", "export", "ESC-51007", "--format", "jsonl", "--output", str(export)) == ""
    assert [p.name for p in export.parent.iterdir()] == ["audit.jsonl"]  # no temporary file left
    lines = export.read_text().splitlines()
    header, tail = json.loads(lines[0]), json.loads(lines[-1])
    assert header["format"] == "readout-audit-export/1"
    assert "SHA-256" in header["hash"]["procedure"]
    assert header["entries"] == len(lines) - 2
    assert tail["verified"] == {"intact": True, "problems": []}
    script = _offline_script(tmp_path)

    intact = _run(script, export)
    assert (intact.returncode, intact.stdout.strip()) == (0, "intact")

    entry = json.loads(lines[4])
    entry["payload"]["reason"] = "edited"
    export.write_text("\n".join([*lines[:4], json.dumps(entry), *lines[5:]]) + "\n")
    edited = _run(script, export)
    assert edited.returncode == 1
    assert f"entry {entry['seq']}: content does not match its hash" in edited.stdout

    export.write_text("\n".join([*lines[:-2], lines[-1]]) + "\n")  # the last entry dropped
    assert _run(script, export).returncode == 1
    stdout = readout("audit", "export", "ESC-51007", "--format", "jsonl").splitlines()
    assert stdout[1:] == lines[1:]  # the same entries and head on stdout


def test_the_html_report_reads_in_local_time_and_utc_with_the_verification(
    readout: Cli, tmp_path: Path
) -> None:
    readout("open", str(FREEZE), "--as", "priya", "--now", T1)
    readout(
        "approve",
        "ESC-51007",
        "--slot",
        "2026-11-24T11:00:00Z",
        "--as",
        "omar",
        "--reason",
        "board asked",
        "--now",
        T1,
    )
    page = readout("audit", "export", "ESC-51007", "--format", "html")
    assert page.startswith("<!doctype html>")
    assert "Chain verified: intact." in page
    assert "Mon 23 Nov" in page
    assert "UTC" in page
    assert "COVERAGE waived for Tue 24 Nov 12:00-13:00 Berlin (11:00-12:00 UTC): board asked" in page
    assert "(approver: omar)" in page
    assert "311 starts searched every 30 minutes" in page


def test_an_anchor_catches_a_tail_cut_behind_the_stored_head(readout: Cli, tmp_path: Path) -> None:
    readout("open", str(GLOBEX), "--as", "priya", "--now", T0)
    readout("plan", "ESC-48213", "--as", "priya", "--now", T0)  # a re-plan: the last entry changes no state
    anchors = tmp_path / "anchors.jsonl"
    readout("audit", "anchor", "--anchor", str(anchors))
    readout("audit", "anchor", "--anchor", str(anchors), "--json")
    assert len(anchors.read_text().splitlines()) == 2
    assert readout("audit", "verify", "--anchor", str(anchors), "--json")

    db = sqlite3.connect(tmp_path / "readout.db")
    with db:
        db.execute("DROP TRIGGER IF EXISTS audit_entries_no_delete")
        (last,) = db.execute(
            "SELECT max(seq) FROM audit_entries WHERE escalation_id = 'ESC-48213'"
        ).fetchone()
        (before,) = db.execute(
            "SELECT hash FROM audit_entries WHERE escalation_id = 'ESC-48213' AND seq = ?", (last - 1,)
        ).fetchone()
        db.execute("DELETE FROM audit_entries WHERE escalation_id = 'ESC-48213' AND seq = ?", (last,))
        db.execute(
            "UPDATE escalations SET audit_seq = ?, audit_head = ? WHERE id = 'ESC-48213'", (last - 1, before)
        )
    db.close()

    assert json.loads(readout("audit", "verify", "--json"))["ESC-48213"] == []
    found = json.loads(readout("audit", "verify", "--anchor", str(anchors), "--json", code=1))
    assert any(f"entry {last}" in p and "missing" in p for p in found["ESC-48213"])
    assert "line 1" in _stderr_bad_anchor(readout, tmp_path)


def _stderr_bad_anchor(readout: Cli, tmp_path: Path) -> str:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    return _stderr(readout, "audit", "verify", "--anchor", str(bad))


def test_an_anchor_catches_the_users_chain_cut_back_to_nothing(readout: Cli, tmp_path: Path) -> None:
    anchors = tmp_path / "anchors.jsonl"
    readout("audit", "anchor", "--anchor", str(anchors))
    assert json.loads(anchors.read_text())["users"]["seq"] == 1

    db = sqlite3.connect(tmp_path / "readout.db")
    with db:
        for name in ("user_audit_entries_no_delete", "user_audit_head_no_delete"):
            db.execute(f"DROP TRIGGER IF EXISTS {name}")
        db.execute("DELETE FROM user_audit_entries")
        db.execute("DELETE FROM user_audit_head")
    db.close()

    found = json.loads(readout("audit", "verify", "--anchor", str(anchors), "--json", code=1))
    assert any("users: entry 1, anchored" in p and "missing" in p for p in found["users"])
