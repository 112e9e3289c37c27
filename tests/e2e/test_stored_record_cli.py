"""The escalation record as users run it: real `readout` commands on SQLite and PostgreSQL.

After `open` the case file is no longer read: the whole workflow runs with the file deleted or moved (its
calendars, read live, stay). `update` (and `open` again) store a changed file as the next version, audited
`case_changed` with both digests, and an unchanged file stores nothing.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from readout.entrypoints.cli import main
from tests.support.db_fixtures import Store

ROOT = Path(__file__).resolve().parents[2]
ESC = "ESC-48213"
T0 = "2026-11-12T09:00:00-06:00"


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


class Cli:
    """Runs `readout` (its real entry point) in this process against one store."""

    def __init__(
        self, store: Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        self.capsys = capsys
        monkeypatch.setenv("READOUT_DATABASE_URL", str(store.url))
        monkeypatch.setenv("COLUMNS", "200")

    def __call__(self, *args: str) -> Ran:
        code = main(list(args))
        out, err = self.capsys.readouterr()
        assert code == 0, f"readout {' '.join(args)} exited {code}: {err}"
        assert "Traceback" not in err
        return Ran(code, out, err)


@dataclass
class Opened:
    readout: Cli
    case: Path  # the copied case file, opened as ESC-48213 (version 1)
    plan: dict[str, Any]  # what `open --json` printed


@pytest.fixture
def opened(
    sql_uow_factory: Store,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> Opened:
    folder = tmp_path / "globex"
    shutil.copytree(ROOT / "examples" / "globex-sso-outage", folder)
    readout = Cli(sql_uow_factory, monkeypatch, capsys)
    readout("users", "import", str(ROOT / "examples" / "users.yaml"))
    case = folder / "case.yaml"
    plan = readout("open", str(case), "--as", "priya", "--now", T0, "--json").json()
    assert plan["case_version"]["version"] == 1
    assert plan["escalation"]["state"] == "planned"
    return Opened(readout, case, plan)


def audit(readout: Cli) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = readout("audit", "show", ESC, "--json").json()
    return entries


def assert_intact(readout: Cli) -> None:
    out = readout("audit", "verify").stdout
    assert f"{ESC}: intact" in out
    assert "users: intact" in out


def test_the_whole_workflow_runs_from_the_store_after_the_case_file_is_deleted(opened: Opened) -> None:
    readout = opened.readout
    opened.case.unlink()  # the calendars beside it stay: they are read live
    assert (opened.case.parent / "calendars" / "dana.ics").exists()

    replanned = readout("plan", ESC, "--as", "priya", "--now", T0, "--json").json()
    assert replanned["case_version"] == {**opened.plan["case_version"], "new": False}
    best = replanned["plan"]["candidates"][0]
    assert best == opened.plan["plan"]["candidates"][0]  # same stored case, same calendars, same plan

    held = readout("hold", ESC, "--as", "dana", "--now", T0, "--json").json()
    assert held["escalation"]["state"] == "held"
    assert best["start"] in {h["start"] for h in held["placed"]}

    status = readout("status", ESC, "--json", "--now", T0).json()
    assert status["escalation"]["state"] == "held"
    live = [h for h in status["holds"] if h["status"] == "live"]
    assert len(live) == 3
    assert best["start"] in {h["start"] for h in live}

    review = readout("review", ESC, "--slot", best["start"], "--as", "dana", "--now", T0, "--json").json()
    digest = review["packet_digest"]
    assert review["packet"]["start_utc"] == best["start"]
    assert review["packet"]["end_utc"] == best["end"]

    confirmed = readout("confirm", ESC, "--packet", digest[:12], "--as", "priya", "--now", T0, "--json")
    done = confirmed.json()  # exit 0: no relay configured, so no invitation is pending
    assert done["confirmed"] is True
    assert done["escalation"]["state"] == "confirmed"
    assert done["escalation"]["review_slot"] == {"start": best["start"], "end": best["end"]}
    assert done["escalation"]["packet_digest"] == digest
    assert done["packet"]["start_utc"] == best["start"]

    status = readout("status", ESC, "--json", "--now", T0).json()
    assert status["escalation"]["state"] == "confirmed"
    assert status["escalation"]["packet_digest"] == digest

    entries = audit(readout)
    kinds = [e["kind"] for e in entries]
    assert kinds[:2] == ["opened", "plan"]
    assert "case_changed" not in kinds
    confirm = next(e for e in entries if e["kind"] == "confirm")
    assert confirm["payload"]["packet_digest"] == digest
    assert (confirm["payload"]["start"], confirm["payload"]["end"]) == (best["start"], best["end"])
    assert_intact(readout)


def test_cancel_works_after_the_case_file_is_moved(opened: Opened, tmp_path: Path) -> None:
    readout = opened.readout
    opened.case.rename(tmp_path / "elsewhere.yaml")

    cancelled = readout(
        "cancel", ESC, "--reason", "customer withdrew", "--as", "priya", "--now", T0, "--json"
    )
    assert cancelled.json()["state"] == "cancelled"
    assert readout("status", ESC, "--json", "--now", T0).json()["escalation"]["state"] == "cancelled"
    assert audit(readout)[-1]["kind"] == "cancel"
    assert_intact(readout)


def shorten(case: Path, minutes: int) -> None:
    text = case.read_text()
    assert text.count("duration_minutes: 60") == 1
    case.write_text(text.replace("duration_minutes: 60", f"duration_minutes: {minutes}"))


def test_update_stores_a_changed_file_as_version_2_once(opened: Opened) -> None:
    readout = opened.readout
    v1 = opened.plan["case_version"]
    best_v1 = opened.plan["plan"]["candidates"][0]
    shorten(opened.case, 45)

    # Editing the file changes nothing until it is stored: a re-plan still plans the 60-minute readout.
    replanned = readout("plan", ESC, "--as", "priya", "--now", T0, "--json").json()
    assert replanned["case_version"] == {**v1, "new": False}
    assert replanned["plan"]["candidates"][0] == best_v1

    updated = readout("update", ESC, str(opened.case), "--as", "priya", "--now", T0, "--json").json()
    v2 = updated["case_version"]
    assert v2["version"] == 2
    assert v2["new"] is True
    assert v2["digest"] != v1["digest"]
    assert updated["escalation"]["state"] == "planned"
    best_v2 = updated["plan"]["candidates"][0]
    assert best_v2 != best_v1  # re-planned at once from the new version: 45-minute slots
    for c in updated["plan"]["candidates"]:
        assert _minutes(c) == 45

    changes = [e for e in audit(readout) if e["kind"] == "case_changed"]
    assert len(changes) == 1
    payload = changes[0]["payload"]
    assert payload["from"] == v1["digest"]
    assert payload["to"] == v2["digest"]
    assert payload["from"] != payload["to"]
    assert payload["version"] == 2
    assert changes[0]["actor"] == "priya"
    assert_intact(readout)

    again = readout("update", ESC, str(opened.case), "--as", "priya", "--now", T0, "--json").json()
    assert again["case_version"] == {**v2, "new": False}
    assert again["plan"]["candidates"][0] == best_v2
    assert [e["kind"] for e in audit(readout)].count("case_changed") == 1
    assert_intact(readout)


def test_opening_a_changed_file_again_stores_it_as_the_next_version(opened: Opened) -> None:
    readout = opened.readout
    v1 = opened.plan["case_version"]

    same = readout("open", str(opened.case), "--as", "priya", "--now", T0, "--json").json()
    assert same["case_version"] == {**v1, "new": False}  # unchanged: stores nothing, only re-plans

    shorten(opened.case, 45)
    reopened = readout("open", str(opened.case), "--as", "priya", "--now", T0, "--json").json()
    assert reopened["case_version"]["version"] == 2
    assert reopened["case_version"]["new"] is True
    assert reopened["case_version"]["digest"] != v1["digest"]
    for c in reopened["plan"]["candidates"]:
        assert _minutes(c) == 45

    entries = audit(readout)
    assert [e["kind"] for e in entries].count("opened") == 1
    changes = [e["payload"] for e in entries if e["kind"] == "case_changed"]
    assert len(changes) == 1
    assert changes[0]["from"] == v1["digest"]
    assert changes[0]["to"] == reopened["case_version"]["digest"]
    assert changes[0]["version"] == 2

    opened.case.unlink()  # version 2 is what later commands use
    replanned = readout("plan", ESC, "--as", "priya", "--now", T0, "--json").json()
    assert replanned["case_version"] == {**reopened["case_version"], "new": False}
    assert replanned["plan"]["candidates"][0] == reopened["plan"]["candidates"][0]
    assert_intact(readout)


def _minutes(candidate: dict[str, Any]) -> int:
    start, end = (datetime.fromisoformat(candidate[k].replace("Z", "+00:00")) for k in ("start", "end"))
    return int((end - start).total_seconds() // 60)


def test_every_entry_the_cli_records_says_the_local_operator_acted(opened: Opened) -> None:
    opened.readout("hold", ESC, "--as", "dana", "--now", T0)

    entries = audit(opened.readout)

    assert entries
    assert {e["payload"].get("via") for e in entries} == {"cli"}  # `--as` names them: no credential
