"""The calendar port over local ``.ics`` files."""

from __future__ import annotations

import hashlib
from pathlib import Path
from zoneinfo import ZoneInfo

from readout.adapters.ics.file_digests import FileDigests, shared_digests
from readout.adapters.ics.reader import read_blackouts, read_busy
from readout.adapters.input_limits import CALENDAR_FILE_MAX_BYTES, FileRefused, read_regular_file_and_status
from readout.domain.intervals import Interval
from readout.domain.sources import CalendarSource, RemoteSource
from readout.errors import CalendarError, SourceUnavailable

__all__ = ["IcsFileReader", "file_fingerprint"]


def file_fingerprint(path: Path, digests: FileDigests | None = None) -> str:
    """``sha256:<hex>`` of the file's bytes. A file whose status shows it unchanged since its bytes were
    hashed (by this or by a read of its busy time: adapters/ics/file_digests.py) is not read again.
    CalendarError when it cannot be read (missing, unreadable, not a regular file, over the size limit)."""
    digests = digests if digests is not None else shared_digests()
    known = digests.unchanged(path)
    if known is not None:
        return f"sha256:{known.hex()}"
    try:
        data, status = read_regular_file_and_status(path, CALENDAR_FILE_MAX_BYTES)
    except FileRefused as refused:
        raise CalendarError(str(path), str(refused)) from None
    except OSError as error:
        raise CalendarError(str(path), f"cannot be read ({error.strerror or type(error).__name__})") from None
    known = hashlib.sha256(data).digest()
    digests.remember(path, status, known)
    return f"sha256:{known.hex()}"


def _local(source: CalendarSource) -> Path:
    if isinstance(source, RemoteSource):
        raise SourceUnavailable(source.shown, "remote calendar sources are not read yet; treated as unknown")
    return source


class IcsFileReader:
    """Reads free/busy and blackouts from iCalendar files on disk (remote sources are unavailable)."""

    def busy(
        self,
        source: CalendarSource,
        *,
        window: Interval,
        zone: ZoneInfo,
        tentative_is_busy: bool,
        exclude_escalation: str | None,
    ) -> tuple[Interval, ...]:
        """Busy intervals of the file's owner overlapping ``window``."""
        return read_busy(
            _local(source),
            window=window,
            zone=zone,
            tentative_is_busy=tentative_is_busy,
            exclude_escalation=exclude_escalation,
        )

    def blackouts(self, source: CalendarSource, *, window: Interval, zone: ZoneInfo) -> tuple[Interval, ...]:
        """Every non-cancelled event of the file, as blackout blocks."""
        return read_blackouts(_local(source), window=window, zone=zone)

    def fingerprint(self, source: CalendarSource) -> str | None:
        """The SHA-256 of the file's bytes (``file_fingerprint``)."""
        return file_fingerprint(_local(source))
