"""Local calendar files known unchanged by their status (adapters/ics/file_digests.py): a settled file is not
read again, and every change of its bytes is still seen."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import readout.adapters.ics.reader as reader_module
from readout.adapters.ics.cache import BusyCache
from readout.adapters.ics.file_digests import FileDigests
from readout.domain.intervals import Interval
from readout.errors import CalendarError
from tests.adapters.ics.test_cache import WEEKLY, WINDOW

ZONE = ZoneInfo("America/Chicago")
HOUR_AGO = time.time() - 3600


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The paths the reader opens, in order."""
    opened: list[Path] = []
    real = reader_module.read_regular_file_and_status

    def counted(path: Path, max_bytes: int) -> tuple[bytes, os.stat_result]:
        opened.append(path)
        return real(path, max_bytes)

    monkeypatch.setattr(reader_module, "read_regular_file_and_status", counted)
    return opened


def _busy(path: Path, cache: BusyCache | None, digests: FileDigests) -> tuple[Interval, ...]:
    counting = reader_module._Counting(True, transp_frees=True)
    return reader_module._file_intervals(path, WINDOW, ZONE, counting, cache, digests)


def _settled(path: Path, content: bytes, when: float = HOUR_AGO) -> Path:
    path.write_bytes(content)
    os.utime(path, (when, when))
    return path


def test_a_settled_unchanged_file_is_answered_without_reading_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _settled(tmp_path / "busy.ics", WEEKLY)
    opened = _reads(monkeypatch)
    cache, digests = (
        BusyCache(),
        FileDigests(settle=0),
    )  # settled at once (setting its mtime changed its ctime)
    first = _busy(path, cache, digests)
    assert [_busy(path, cache, digests) for _ in range(3)] == [first] * 3
    assert opened == [path]
    assert first == _busy(path, None, FileDigests())


def test_new_bytes_with_the_old_size_and_modification_time_are_still_seen(tmp_path: Path) -> None:
    path = _settled(tmp_path / "busy.ics", WEEKLY)
    cache, digests = BusyCache(), FileDigests(settle=0)
    before = _busy(path, cache, digests)
    other = WEEKLY.replace(b"BYDAY=MO,TU,WE,TH,FR", b"BYDAY=MO,TU,WE,TH,SA")  # same size
    _settled(path, other)  # and the same mtime: only the change time tells
    after = _busy(path, cache, digests)
    assert after != before
    assert after == _busy(path, None, FileDigests())


def test_a_file_changed_within_the_settle_time_is_read_every_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "busy.ics"
    _settled(path, WEEKLY)  # an old mtime, but its status changed just now: two changes in one clock tick
    # could leave the same status
    opened = _reads(monkeypatch)
    cache, digests = BusyCache(), FileDigests(settle=60)
    _busy(path, cache, digests)
    _busy(path, cache, digests)
    assert opened == [path, path]
    assert cache.hits == 1  # still parsed once: the bytes' digest finds the kept answer


def test_a_file_replaced_by_another_at_the_same_path_is_read(tmp_path: Path) -> None:
    path = _settled(tmp_path / "busy.ics", WEEKLY)
    cache, digests = BusyCache(), FileDigests(settle=0)
    _busy(path, cache, digests)
    replacement = _settled(tmp_path / "new.ics", WEEKLY.replace(b"BYDAY=MO,TU,WE,TH,FR", b"BYDAY=MO"))
    os.replace(replacement, path)  # another inode, as an editor's or a sync tool's atomic save gives
    assert _busy(path, cache, digests) == _busy(path, None, FileDigests())


def test_a_file_that_became_unreadable_is_an_error_not_a_kept_answer(tmp_path: Path) -> None:
    path = _settled(tmp_path / "busy.ics", WEEKLY)
    cache, digests = BusyCache(), FileDigests(settle=0)
    _busy(path, cache, digests)
    path.unlink()
    with pytest.raises(CalendarError, match="file not found"):
        _busy(path, cache, digests)
    path.mkdir()
    with pytest.raises(CalendarError, match="directory"):
        _busy(path, cache, digests)


def test_the_memory_is_bounded_and_holds_no_content(tmp_path: Path) -> None:
    digests = FileDigests(max_entries=2, settle=0)
    paths = [_settled(tmp_path / f"{n}.ics", WEEKLY) for n in range(3)]
    for path in paths:
        _, status = reader_module.read_regular_file_and_status(path, 1 << 20)
        digests.remember(path, status, b"d" * 32)
    assert digests.unchanged(paths[0]) is None  # least recently used, gone
    assert digests.unchanged(paths[2]) == b"d" * 32
    assert all(len(value[1]) == 32 for value in digests._known.values())


def test_a_modification_time_in_the_future_is_never_trusted(tmp_path: Path) -> None:
    later = datetime(2100, 1, 1, tzinfo=UTC).timestamp()
    path = _settled(tmp_path / "busy.ics", WEEKLY, when=later)
    digests = FileDigests(settle=0)
    _, status = reader_module.read_regular_file_and_status(path, 1 << 20)
    digests.remember(path, status, b"d" * 32)
    assert digests.unchanged(path) is None
