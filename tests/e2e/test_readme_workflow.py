"""The README's workflow section works as written on a fresh clone, on any day: its shell block runs in a copy of
the examples with the project's own `.venv`, and every command succeeds."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _workflow_block() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The workflow", 1)[1]
    found = re.search(r"```sh\n(.*?)```", section, re.S)
    assert found, "README: the workflow section has no sh block"
    return found.group(1)


def test_the_readme_workflow_runs_as_written(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    env = {k: v for k, v in os.environ.items() if not k.startswith("READOUT_")}
    env["COLUMNS"] = "200"

    ran = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", _workflow_block()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    out = " ".join(ran.stdout.split())
    assert "from the case file's now:, not the clock" in out  # open says what it planned as of
    assert "Confirmed in Readout by priya" in out
    assert "NO INVITATION WAS SENT" in out
    assert "ESC-48213: intact" in out
    assert (tmp_path / "readout.db").exists(), "the block's own store, in the folder it ran in"
