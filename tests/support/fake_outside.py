"""Run ``readout`` with the outside world (hold calendars, the leadership channel) replaced by one file, so
that tests can count, across processes, every call Readout made outside, and kill a process in the middle.

    READOUT_FAKE_DIR=/tmp/x python -m tests.support.fake_outside worker --once --now TS

Every call (``place``, ``release``, ``confirm``, ``post``, ``update``) is appended to DIR/calls.jsonl as one JSON
line with the process id; a ``post`` with ``retry`` first looks for its key there and gives back the message
already posted (as Slack's message metadata lets the real channel do). Settings, from the environment:

* ``READOUT_FAKE_DOWN=1``: every call fails for a passing reason (``SourceUnavailable``), nothing recorded.
* ``READOUT_FAKE_BLOCK=OP:N``: the Nth call of OP is recorded (the outside world has it), then DIR/blocked is
  written and the call never returns: the process waits there until it is killed, before the store knows.
* ``READOUT_FAKE_DELAY=SECONDS``: each call takes that long (two workers surely overlap).
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from readout.domain.channel import ChannelMessage
from readout.domain.holds import Hold
from readout.domain.intervals import Interval
from readout.domain.invite import InvitePacket
from readout.errors import SourceUnavailable

__all__ = ["FileOutside", "calls"]


def calls(folder: Path) -> list[dict[str, Any]]:
    """Every call recorded in ``folder``, in the order made."""
    path = folder / "calls.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class FileOutside:
    """A hold calendar and a channel that record every call to DIR/calls.jsonl (appends are locked)."""

    def __init__(self, folder: Path, environ: dict[str, str]) -> None:
        self.folder = folder
        self.down = environ.get("READOUT_FAKE_DOWN") == "1"
        self.delay = float(environ.get("READOUT_FAKE_DELAY") or 0)
        op, _, nth = (environ.get("READOUT_FAKE_BLOCK") or ":").partition(":")
        self.block = (op, int(nth)) if op else None
        self.made: dict[str, int] = {}

    def place(self, hold: Hold, zone: ZoneInfo | None = None) -> str | None:
        return self._call("place", uid=hold.uid, calendar=hold.calendar)

    def release(self, hold: Hold) -> None:
        self._call("release", uid=hold.uid, calendar=hold.calendar)

    def confirm(self, hold: Hold, packet: InvitePacket) -> str | None:
        return self._call("confirm", uid=hold.uid, calendar=hold.calendar)

    def marked(self, calendar: str, span: Interval) -> list[Hold]:
        return []  # nothing on these calendars the ledger does not know

    def post(
        self, message: ChannelMessage, *, key: str, thread: str | None = None, retry: bool = False
    ) -> str:
        if retry:
            found = [c for c in calls(self.folder) if c["op"] == "post" and c["key"] == key]
            if found:
                return str(found[0]["ref"])
        return self._call("post", key=key, thread=thread, text=message.text)

    def update(self, ref: str, message: ChannelMessage) -> None:
        self._call("update", ref=ref, text=message.text)

    def _call(self, op: str, **what: Any) -> str:
        if self.down:
            raise SourceUnavailable(str(what.get("calendar") or "the leadership channel"), "does not answer")
        time.sleep(self.delay)
        ref = f"{op}:{what.get('uid') or what.get('key') or what.get('ref')}"
        with _appending(self.folder / "calls.jsonl") as log:
            log.write(json.dumps({"op": op, "pid": os.getpid(), "ref": ref, **what}) + "\n")
        self.made[op] = self.made.get(op, 0) + 1
        if self.block == (op, self.made[op]):
            (self.folder / "blocked").write_text(str(os.getpid()))
            while True:  # the outside world has it; the store never hears of it
                time.sleep(60)
        return ref


@contextmanager
def _appending(path: Path) -> Iterator[TextIO]:
    """``path`` opened for appending, locked against the other processes writing to it."""
    with path.open("a") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        try:
            yield file
            file.flush()
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)


def main() -> int:
    """Put the file-backed outside world into every command's adapters, then run the command line."""
    from readout import bootstrap

    outside = FileOutside(Path(os.environ["READOUT_FAKE_DIR"]), dict(os.environ))
    real = bootstrap.workflow_deps

    def with_fakes(now: Any = None, environ: Any = None) -> Any:
        return replace(real(now, environ), holds=outside, channel=outside)

    bootstrap.workflow_deps = with_fakes  # type: ignore[assignment]
    from readout.entrypoints.cli import main as readout

    return readout(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
