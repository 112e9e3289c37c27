"""How much Readout reads from one input, in one place (docs/limits.md explains each limit).

Every input a case file can name is bounded, so that no file, however large, odd or hostile, costs more
than a few seconds and a few hundred megabytes: case and users files by bytes, values and nesting; local
calendar files by bytes; every calendar (local or remote) by the occurrences expanded near the planning
window, per event and in all, and by the steps its recurrence rules take to find them.
Remote bodies are bounded by ``READOUT_HTTP_MAX_BYTES`` (config) and remote reads by the gathering deadline
(services/read_deadline.py).

Files are opened without blocking and must be regular files: a FIFO would wait for a writer forever and
``/dev/zero`` never ends. A file is read up to one byte past its limit, so one that grows while it is read is
refused too, never read whole.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = [
    "CALENDAR_FILE_MAX_BYTES",
    "CASE_FILE_MAX_BYTES",
    "CASE_FILE_MAX_DEPTH",
    "CASE_FILE_MAX_VALUES",
    "OCCURRENCES_PER_CALENDAR",
    "OCCURRENCES_PER_EVENT",
    "RULE_STEPS",
    "RULE_STEPS_PER_CALENDAR",
    "FileRefused",
    "file_kind",
    "read_regular_file",
]

# For case files and users files alike. A case file with a hundred people, every key set, is about 40 kB and
# 3,000 values (tests/cases/valid-full.yaml: six people, 2 kB, 182 values); a users file of a thousand users
# about 150 kB and 10,000 values.
CASE_FILE_MAX_BYTES = 1_000_000
# Values (mappings, lists and scalars, keys included) after YAML aliases are expanded.
CASE_FILE_MAX_VALUES = 100_000
# Mappings and lists inside each other (the top level is 1); a case file nests at most seven deep.
CASE_FILE_MAX_DEPTH = 50
# The default of READOUT_HTTP_MAX_BYTES, so a calendar reads the same from a file and from a feed.
CALENDAR_FILE_MAX_BYTES = 5_000_000
# Occurrences of one event (all its RRULEs, RDATEs and overrides) that start near the planning window: every
# five minutes for ten weeks, or every minute for two. A planning window spans days to weeks on a grid of 5 to
# 60 minutes; an event recurring more often than that is not a meeting.
OCCURRENCES_PER_EVENT = 20_000
# Occurrences and free/busy periods of one calendar in and near the planning window, all events together.
OCCURRENCES_PER_CALENDAR = 100_000
# Steps one RRULE may take, a step being about a microsecond of dateutil's work (rrule.py: each period passed
# and each occurrence generated, from DTSTART or from where the rule is restarted near the window): a daily
# rule restarted near a three-week window takes about 100, a yearly one walked from 1601 (as the time zones of
# Outlook are) about 13,000, a DAILY COUNT rule with a day filter walked from 1900 about 100,000.
RULE_STEPS = 200_000
# Steps all the rules of one calendar (its VTIMEZONEs included) may take together: about two seconds.
RULE_STEPS_PER_CALENDAR = 2_000_000


class FileRefused(Exception):
    """A file Readout will not read: not a regular file, or over its size limit. The message is ours."""


def read_regular_file(path: Path, max_bytes: int) -> bytes:
    """The bytes of the regular file at ``path``, at most ``max_bytes`` of them.

    Raises ``FileRefused`` for a FIFO, device, socket or directory, or a file larger than ``max_bytes``; and
    ``OSError`` (``FileNotFoundError``, ``PermissionError``...) when the file cannot be opened or read.
    """
    return read_regular_file_and_status(path, max_bytes)[0]


def read_regular_file_and_status(path: Path, max_bytes: int) -> tuple[bytes, os.stat_result]:
    """``read_regular_file``, with the status of the open file taken before it was read (a later change to
    the file shows as another status)."""
    _check(os.stat(path), max_bytes)  # a device is not even opened: opening some has effects
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        status = os.fstat(descriptor)
        _check(status, max_bytes)  # what was opened, should the path have changed since
        with os.fdopen(os.dup(descriptor), "rb") as file:
            data = file.read(max_bytes + 1)
    finally:
        os.close(descriptor)
    if len(data) > max_bytes:  # it grew while it was read
        raise FileRefused(_too_large(f"more than {max_bytes:,} bytes", max_bytes))
    return data, status


def _check(status: os.stat_result, max_bytes: int) -> None:
    if not stat.S_ISREG(status.st_mode):
        raise FileRefused(f"is {file_kind(status.st_mode)}, not a regular file")
    if status.st_size > max_bytes:
        raise FileRefused(_too_large(f"{status.st_size:,} bytes", max_bytes))


def _too_large(size: str, max_bytes: int) -> str:
    return f"is {size}; expected at most {max_bytes:,} bytes (see docs/limits.md)"


def file_kind(mode: int) -> str:
    """What a file that is not a regular file is, in a few words (``st_mode`` of its status)."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"
