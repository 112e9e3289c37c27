"""A local calendar file's fingerprint (calendar watch): the SHA-256 of its bytes, not read again while its
status shows it unchanged since it was hashed; a file that cannot be read is a CalendarError."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import readout.adapters.ics.files as files_module
from readout.adapters.ics.file_digests import FileDigests
from readout.adapters.ics.files import IcsFileReader, file_fingerprint
from readout.errors import CalendarError


def test_the_fingerprint_is_the_files_digest_and_a_settled_file_is_not_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ics = tmp_path / "dana.ics"
    ics.write_bytes(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    reads: list[Path] = []
    real = files_module.read_regular_file_and_status
    monkeypatch.setattr(
        files_module, "read_regular_file_and_status", lambda p, n: (reads.append(p), real(p, n))[1]
    )
    digests = FileDigests(settle=0)  # trust a status at once (the racy-file rule is file_digests' own test)

    first = file_fingerprint(ics, digests)
    again = file_fingerprint(ics, digests)

    assert first == again == f"sha256:{hashlib.sha256(ics.read_bytes()).hexdigest()}"
    assert reads == [ics]
    ics.write_bytes(b"BEGIN:VCALENDAR\r\nX-CHANGED:1\r\nEND:VCALENDAR\r\n")
    assert file_fingerprint(ics, digests) != first


def test_a_missing_file_cannot_be_fingerprinted(tmp_path: Path) -> None:
    with pytest.raises(CalendarError, match="cannot be read"):
        IcsFileReader().fingerprint(tmp_path / "gone.ics")
