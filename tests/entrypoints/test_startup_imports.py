"""Each command loads only what it needs: `readout plan CASE --json` no store, network, mail or terminal
library; the commands that only read the store no case-file or calendar parser.

Start-up is most of what a user waits for (docs/performance.md, "Start-up"): the store (SQLAlchemy, Alembic),
HTTP, SMTP and the terminal report (rich) cost a fresh interpreter a noticeable fraction of a second, and
one module-level import anywhere on the path would bring them back without failing anything else.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GLOBEX = ROOT / "examples" / "globex-sso-outage" / "case.yaml"
NOW = "2026-11-12T09:00:00-06:00"

# Runs the real entry point in a fresh interpreter, then reports its exit status, what it printed and every
# module it imported (stdout is captured so the report is the child's only output).
_PROBE = """\
import contextlib, io, json, sys
from readout.entrypoints.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    code = main(sys.argv[1:])
print(json.dumps({"exit": code, "out": out.getvalue(), "modules": sorted(sys.modules)}))
"""

NOT_FOR_PLAN = ("sqlalchemy", "alembic", "httpx", "rich", "smtplib", "caldav")


def imported_by(*argv: str, database: Path | None = None) -> tuple[str, set[str]]:
    """What ``readout ARGV`` printed, and every module it imported plus their top-level packages."""
    env = dict(os.environ)
    if database is not None:
        env["READOUT_DATABASE_URL"] = f"sqlite:///{database}"
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv], capture_output=True, text=True, check=False, cwd=ROOT, env=env
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["exit"] == 0, proc.stderr
    modules = set(report["modules"])
    return report["out"], modules | {m.split(".")[0] for m in modules}


def test_plan_json_imports_no_store_network_mail_or_terminal_library() -> None:
    out, modules = imported_by("plan", str(GLOBEX), "--json", "--now", NOW)
    assert json.loads(out)["status"] == "ready"
    assert sorted(modules & set(NOT_FOR_PLAN)) == []


def test_plan_loads_the_holidays_of_its_country_only() -> None:
    # The package's country index imports all 250 countries (about 55 ms); the case needs Mexico's.
    out, modules = imported_by("plan", str(GLOBEX), "--json", "--now", NOW)
    assert json.loads(out)["deadline"] == "2026-11-20T06:00:00Z"  # Revolution Day moved it a day
    assert "holidays" in modules
    assert "holidays.countries" not in modules


def test_readable_plan_report_does_import_rich() -> None:
    # The probe sees imports made while the command runs: the report needs rich, and it is found.
    out, modules = imported_by("plan", str(GLOBEX), "--now", NOW)
    assert "ESC-48213" in out
    assert "rich" in modules
    assert sorted(modules & {"sqlalchemy", "alembic", "httpx"}) == []


@pytest.mark.parametrize("verb", [["list"], ["users", "list"], ["audit", "verify"]])
def test_reading_the_store_loads_no_case_file_calendar_or_planner_library(
    verb: list[str], tmp_path: Path
) -> None:
    out, modules = imported_by(*verb, "--json", database=tmp_path / "readout.db")
    assert json.loads(out) in ([], {})
    assert "sqlalchemy" in modules  # the probe sees the store being opened
    unneeded = {"pydantic", "yaml", "holidays", "icalendar", "httpx", "rich", "numpy"}
    assert sorted(modules & unneeded) == []
