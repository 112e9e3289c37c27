"""Which local calendar files have not changed since they were read, known from their status alone.

A long-running process re-plans every few seconds; reading and hashing every attendee's file each time costs
more than planning from the cached busy time (``cache.BusyCache``). A file whose status (device, inode, size,
modification and change times, mode) is the one it had when its bytes were read and hashed is taken to have
the same bytes, as ``git status`` and ``make`` do. The rule that keeps this honest is git's "racy" rule: a
status is trusted only when the file had not been modified (nor its status changed) for ``settle`` seconds
when it was read, because two writes within one tick of the file system's clock, of the same size, leave the
same status. A file
written within the last ``settle`` seconds is read and hashed every time until it settles.

Nothing here holds content: only a path, a status and a SHA-256 digest, at most ``max_entries`` of them.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from pathlib import Path

__all__ = ["FileDigests", "Status", "shared_digests"]

Status = tuple[int, int, int, int, int, int]  # device, inode, mode, size, mtime (ns), ctime (ns)


def status_of(result: os.stat_result) -> Status:
    """The parts of a file's status that change when its bytes do."""
    return (
        result.st_dev,
        result.st_ino,
        result.st_mode,
        result.st_size,
        result.st_mtime_ns,
        result.st_ctime_ns,
    )


class FileDigests:
    """Path -> (status, digest) for files read and hashed, least recently used first out."""

    def __init__(self, max_entries: int = 4096, settle: float = 2.0) -> None:
        self.max_entries = max_entries
        self.settle = settle
        self._known: OrderedDict[str, tuple[Status, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def unchanged(self, path: Path) -> bytes | None:
        """The digest of the file at ``path`` when its status is the one it had when its bytes were hashed
        (and it had settled then); None when it may have changed, was never read, or cannot be examined (the
        caller then reads it, and meets the error there)."""
        try:
            now = status_of(os.stat(path))
        except OSError:
            return None
        with self._lock:
            found = self._known.get(str(path))
            if found is None or found[0] != now:
                return None
            self._known.move_to_end(str(path))
            return found[1]

    def remember(self, path: Path, status: os.stat_result, digest: bytes) -> None:
        """``digest`` is of the bytes read from the file whose status (taken on the open file before reading)
        is ``status``; kept only when the file had settled, so a later change always shows in its status."""
        changed = max(status.st_mtime_ns, status.st_ctime_ns)
        if self.max_entries <= 0 or time.time_ns() - changed < self.settle * 1e9:
            return
        with self._lock:
            self._known[str(path)] = (status_of(status), digest)
            self._known.move_to_end(str(path))
            while len(self._known) > self.max_entries:
                self._known.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._known.clear()


_SHARED = FileDigests()


def shared_digests() -> FileDigests:
    """The process-wide memory of local calendar files' digests."""
    return _SHARED
