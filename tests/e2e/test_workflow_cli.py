"""The workflow as users run it: real `readout` processes on SQLite and PostgreSQL.

Two processes holding the same escalation at the same moment; the audit chain verified, then tampered with
(as a database administrator could) and caught by `readout audit verify`; the export formats.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from readout.entrypoints.cli import main
from tests.support.db_fixtures import Store, drop_append_only_guard

ROOT = Path(__file__).resolve().parents[2]
READOUT = str(Path(sys.executable).parent / "readout")
GLOBEX = ROOT / "examples" / "globex-sso-outage" / "case.yaml"
T0 = "2026-11-12T09:00:00-06:00"


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


class Cli:
    """Runs `readout` in this process against one store (the race test starts real processes)."""

    def __init__(
        self, store: Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        self.store, self.capsys = store, capsys
        monkeypatch.setenv("READOUT_DATABASE_URL", str(store.url))
        monkeypatch.setenv("COLUMNS", "200")

    def __call__(self, *args: str, check: bool = True) -> Ran:
        code = main(list(args))
        out, err = self.capsys.readouterr()
        if check:
            assert code == 0, err
        return Ran(code, out, err)


@pytest.fixture
def opened(
    sql_uow_factory: Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Cli:
    readout = Cli(sql_uow_factory, monkeypatch, capsys)
    readout("users", "import", str(ROOT / "examples" / "users.yaml"))
    readout("open", str(GLOBEX), "--as", "priya", "--now", T0)
    return readout


def live_holds(readout: Cli) -> list[dict[str, str]]:
    status = json.loads(readout("status", "ESC-48213", "--json", "--now", T0).stdout)
    return [h for h in status["holds"] if h["status"] == "live"]


def test_two_processes_holding_at_once_leave_exactly_one_hold_per_slot(opened: Cli) -> None:
    env = {**os.environ, "READOUT_DATABASE_URL": str(opened.store.url)}
    command = [READOUT, "hold", "ESC-48213", "--as", "dana", "--now", T0, "--json"]
    racers = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for _ in range(2)
    ]
    results = [
        (r.wait(timeout=120), r.stdout.read() if r.stdout else "", r.stderr.read() if r.stderr else "")
        for r in racers
    ]
    for code, _out, err in results:
        assert code == 0, err
        assert "Traceback" not in err
    placed = [len(json.loads(out)["placed"]) for _code, out, _err in results]
    assert sorted(placed) == [0, 3]  # one process placed the three holds; the other found them already held
    holds = live_holds(opened)
    assert len(holds) == 3
    assert len({h["start"] for h in holds}) == 3


def test_full_lifecycle_then_audit_show_export_and_verify(opened: Cli) -> None:
    readout = opened
    readout("hold", "ESC-48213", "--as", "dana", "--now", T0)
    shown = readout(
        "review", "ESC-48213", "--slot", "2026-11-17T18:00:00Z", "--as", "dana", "--now", T0, "--json"
    )
    review = json.loads(shown.stdout)
    digest = review["packet_digest"]
    assert "SSO" not in json.dumps(review)  # the internal summary never reaches the packet
    done = readout("confirm", "ESC-48213", "--packet", digest[:10], "--as", "priya", "--now", T0)
    assert "Confirmed" in done.stdout

    exported = json.loads(readout("audit", "export", "ESC-48213", "--format", "json").stdout)
    kinds = [e["kind"] for e in exported]
    assert kinds[:2] == ["opened", "plan"]
    assert kinds.count("hold_placed") == 3
    confirmed = next(e for e in exported if e["kind"] == "confirm")
    assert confirmed["payload"]["packet_digest"] == digest
    # what the decision asked of the calendar follows it (ledger-only holds here; no relay: nothing sent)
    assert set(kinds[kinds.index("confirm") + 1 :]) <= {"readout_on_calendar", "hold_off_calendar"}
    assert "invite_sent" not in kinds
    rows = list(
        csv.DictReader(io.StringIO(readout("audit", "export", "ESC-48213", "--format", "csv").stdout))
    )
    assert [r["hash"] for r in rows] == [e["hash"] for e in exported]
    assert "ESC-48213: intact" in readout("audit", "verify").stdout


WHERE = "WHERE escalation_id = 'ESC-48213'"
TAMPERING = {
    "edited": [f"UPDATE audit_entries SET actor = 'mallory' {WHERE} AND seq = 2"],
    "deleted": [f"DELETE FROM audit_entries {WHERE} AND seq = 2"],
    "reordered": [
        f"UPDATE audit_entries SET seq = -1 {WHERE} AND seq = 2",
        f"UPDATE audit_entries SET seq = 2 {WHERE} AND seq = 3",
        f"UPDATE audit_entries SET seq = 3 {WHERE} AND seq = -1",
    ],
    "inserted": [
        "INSERT INTO audit_entries (escalation_id, seq, at, actor, kind, payload, prev_hash, hash) "
        f"SELECT escalation_id, 99, at, actor, kind, payload, hash, hash FROM audit_entries {WHERE} AND seq = 1"
    ],
    "truncated": [
        f"DELETE FROM audit_entries {WHERE} AND seq = (SELECT max(seq) FROM audit_entries {WHERE})"
    ],
}


@pytest.mark.parametrize("kind", sorted(TAMPERING))
def test_audit_verify_catches_tampering(opened: Cli, kind: str) -> None:
    readout, engine = opened, opened.store.engine
    readout("hold", "ESC-48213", "--as", "dana", "--now", T0)
    assert engine is not None
    # Append-only: the database refuses the edit until an administrator drops the guard.
    with engine.begin() as connection, pytest.raises(IntegrityError):
        connection.execute(text(TAMPERING["edited"][0]))
    drop_append_only_guard(engine)
    with engine.begin() as connection:
        for statement in TAMPERING[kind]:
            connection.execute(text(statement))
    proc = readout("audit", "verify", check=False)
    assert proc.returncode == 1
    assert "ESC-48213: TAMPERED" in proc.stdout


def test_reaper_loop_expires_holds_once_and_sends_the_escalation_back_to_planning(opened: Cli) -> None:
    readout = opened
    readout("hold", "ESC-48213", "--as", "dana", "--now", T0)
    later = "2026-11-13T09:00:00-06:00"  # exactly ttl_hours (24) later
    out = readout("reap", "--now", later, "--every", "1", "--rounds", "2").stdout
    assert out.splitlines() == ["3 expired hold(s) released.", "0 expired hold(s) released."]
    status = json.loads(readout("status", "ESC-48213", "--json", "--now", later).stdout)
    assert status["escalation"]["state"] == "planned"
    assert {h["status"] for h in status["holds"]} == {"expired"}
