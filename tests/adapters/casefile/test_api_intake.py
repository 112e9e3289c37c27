"""Case documents posted to the API (origin ``API_ORIGIN``): their calendars are URLs Readout may reach or
files inside the calendar root (READOUT_CALENDAR_ROOT), nothing else (docs/intake.md).

Before, a document from the API was built like a case file: ``calendar: /etc/passwd`` was read as a calendar
(relative paths against the server's working folder) and ``http://127.0.0.1:6379/`` or the cloud metadata
address were accepted and stored. Every refusal is the case file's one-line error: the origin, the field path
and what is expected. No test asks real DNS: names resolve through ``resolving``.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import Any

import pytest

from readout.adapters.casefile.loader import CaseFileBuilder, load_case
from readout.bootstrap import workflow_deps
from readout.config import OutboundPolicy
from readout.domain.case_document import API_ORIGIN, CaseDocument, LoadedCase
from readout.domain.sources import RemoteSource
from readout.errors import CaseFileError

from .test_casefile import valid_document, with_change, write_case

PUBLIC = "93.184.215.14"
DANA = "people.dana.calendar"


@pytest.fixture(autouse=True)
def resolving(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Names resolve to what the test puts here; any other name does not resolve (no real DNS)."""
    answers: dict[str, list[str]] = {"calendar.example": [PUBLIC], "localhost": ["127.0.0.1", "::1"]}

    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        family = {True: socket.AF_INET6, False: socket.AF_INET}
        return [(family[":" in a], socket.SOCK_STREAM, 6, "", (a, port)) for a in answers[host]]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A calendar root holding the fixture calendars under calendars/ (as the valid document names them)."""
    folder = tmp_path / "root"
    folder.mkdir()
    write_case(folder, {})
    return folder


def build(doc: dict[str, Any], root: Path | None = None, allow: str = "") -> LoadedCase:
    return CaseFileBuilder(root, OutboundPolicy.parse(allow)).build(CaseDocument(doc, API_ORIGIN))


def refused(doc: dict[str, Any], root: Path | None = None, allow: str = "") -> CaseFileError:
    with pytest.raises(CaseFileError) as caught:
        build(doc, root, allow)
    error = caught.value
    assert error.file == API_ORIGIN
    assert str(error).startswith(f"{API_ORIGIN}: {error.field}: ")  # the case file's error form
    return error


def only_remote(doc: dict[str, Any]) -> dict[str, Any]:
    """The valid document with every local calendar replaced by a public feed."""
    for dotted in (DANA, "people.ravi.calendar", "interpreters.0.calendar", "customer.cab_blackouts.2"):
        value: object = "https://calendar.example/x.ics"
        doc = with_change(doc, dotted, {"calendar": value} if "cab" in dotted else value)
    return doc


# --- local paths ---------------------------------------------------------------------------------------


def test_relative_paths_inside_the_root_are_read_from_there(root: Path) -> None:
    loaded = build(valid_document(), root)
    assert loaded.calendars["dana"] == root.resolve() / "calendars" / "dana.ics"
    assert loaded.blackout_calendars == (root.resolve() / "calendars" / "globex-cab.ics",)
    assert loaded.document.body["people"]["dana"]["calendar"] == "calendars/dana.ics"  # stored as posted


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (DANA, "/etc/passwd"),
        ("people.ravi.calendar", "/etc/hostname"),
        ("interpreters.0.calendar", "/proc/self/environ"),
    ],
)
def test_an_absolute_path_is_refused_even_when_the_file_exists(root: Path, field: str, value: str) -> None:
    error = refused(with_change(valid_document(), field, value), root)
    assert error.field == field
    assert "\n" not in str(error)  # one problem, one line
    assert f"got the absolute path {value!r}" in error.expected
    assert "READOUT_CALENDAR_ROOT" in error.expected


def test_an_absolute_path_inside_the_root_is_refused_too(root: Path) -> None:
    absolute = str(root / "calendars" / "dana.ics")
    assert refused(with_change(valid_document(), DANA, absolute), root).field == DANA


@pytest.mark.parametrize(
    "value",
    ["../outside.ics", "calendars/../../outside.ics", "calendars/../../root/../outside.ics", "..", "."],
)
def test_a_path_escaping_the_root_is_refused(root: Path, value: str) -> None:
    (root.parent / "outside.ics").write_bytes((root / "calendars" / "dana.ics").read_bytes())
    error = refused(with_change(valid_document(), DANA, value), root)
    assert error.field == DANA
    assert "stays inside the calendar root" in error.expected


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links")
def test_a_symbolic_link_out_of_the_root_is_refused(root: Path) -> None:
    outside = root.parent / "secret.ics"
    outside.write_bytes((root / "calendars" / "dana.ics").read_bytes())
    os.symlink(outside, root / "calendars" / "link.ics")
    os.symlink(root.parent, root / "up")
    for value in ("calendars/link.ics", "up/secret.ics"):
        error = refused(with_change(valid_document(), DANA, value), root)
        assert "stays inside the calendar root" in error.expected


def test_a_symbolic_link_inside_the_root_is_followed(root: Path) -> None:
    os.symlink(root / "calendars" / "dana.ics", root / "dana-link.ics")
    loaded = build(with_change(valid_document(), DANA, "dana-link.ics"), root)
    assert loaded.calendars["dana"] == root.resolve() / "calendars" / "dana.ics"


def test_without_a_root_no_local_path_is_accepted(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(root)  # before, relative paths were read from the server's working folder
    error = refused(valid_document())
    assert error.field == "customer.cab_blackouts.2.calendar"
    for field in (DANA, "people.ravi.calendar", "interpreters.0.calendar"):  # every one, a line each
        assert f"\n  {field}: expected a calendar URL" in error.expected
    assert "may name no local file" in error.expected
    assert "READOUT_CALENDAR_ROOT" in error.expected
    assert build(only_remote(valid_document())).calendars["dana"] == RemoteSource(
        "https://calendar.example/x.ics"
    )


def test_missing_folder_and_device_paths_are_refused_without_showing_the_root(root: Path) -> None:
    (root / "calendars" / "folder.ics").mkdir()
    for value, expected in (
        ("calendars/nobody.ics", "calendar file not found under the calendar root: 'calendars/nobody.ics'"),
        ("calendars/folder.ics", "calendar path is a folder, not an .ics file: 'calendars/folder.ics'"),
        ("calendars/nul\x00.ics", "calendar file not found under the calendar root"),
    ):
        error = refused(with_change(valid_document(), DANA, value), root)
        assert error.expected.startswith(expected)
        assert str(root) not in str(error)


@pytest.mark.parametrize(
    "value", ["file:///etc/passwd", "FILE:///etc/passwd", "file:/etc/passwd", "file:calendars/dana.ics"]
)
def test_file_urls_are_refused(root: Path, value: str) -> None:
    error = refused(with_change(valid_document(), DANA, value), root)
    assert error.field == DANA
    assert error.expected.endswith("got a file: URL")


def test_every_calendar_field_is_checked_with_its_path(root: Path) -> None:
    doc = with_change(valid_document(), "customer.cab_blackouts.2", {"calendar": "/etc/passwd"})
    assert refused(doc, root).field == "customer.cab_blackouts.2.calendar"
    doc = with_change(valid_document(), "interpreters.0.calendar", "../x.ics")
    assert refused(doc, root).field == "interpreters.0.calendar"


# --- URLs ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1:6379/",
        "https://localhost/dana.ics",  # a name resolving to loopback
        "https://169.254.169.254/latest/meta-data/",
        "https://10.1.2.3/dana.ics",
        "https://192.168.1.1/dana.ics",
        "https://0.0.0.0/dana.ics",
        "https://224.0.0.251/dana.ics",
        "https://[::1]/dana.ics",
        "https://[fd12:3456::1]/dana.ics",
        "https://[fe80::1]/dana.ics",
        "https://[::ffff:127.0.0.1]/dana.ics",
        "https://2130706433/dana.ics",  # 127.0.0.1 written as one number
        "https://0x7f.1/dana.ics",
        "https://127.1/dana.ics",
        "webcal://10.0.0.1/dana.ics",
        "caldavs://internal.example/calendars/dana/",
    ],
)
def test_urls_to_non_public_addresses_are_refused(url: str, resolving: dict[str, list[str]]) -> None:
    resolving["internal.example"] = ["10.20.0.5"]
    error = refused(with_change(only_remote(valid_document()), DANA, url))
    assert error.field == DANA
    assert "non-public addresses are refused" in error.expected
    assert "READOUT_OUTBOUND_ALLOW" in error.expected


def test_a_name_with_one_non_public_address_among_public_ones_is_refused(
    resolving: dict[str, list[str]],
) -> None:
    resolving["mixed.example"] = [PUBLIC, "10.0.0.7"]
    doc = with_change(only_remote(valid_document()), DANA, "https://mixed.example/dana.ics")
    assert refused(doc).field == DANA


def test_hold_calendars_and_blackout_calendars_are_checked(resolving: dict[str, list[str]]) -> None:
    resolving["dav.internal"] = ["192.168.4.2"]
    doc = with_change(only_remote(valid_document()), "people.dana.hold_calendar", "caldavs://dav.internal/h/")
    assert refused(doc).field == "people.dana.hold_calendar"
    doc = with_change(
        only_remote(valid_document()), "customer.cab_blackouts.2", {"calendar": "https://[::1]/"}
    )
    assert refused(doc).field == "customer.cab_blackouts.2.calendar"


@pytest.mark.parametrize("url", ["http://calendar.example/dana.ics", "caldav://calendar.example/dana/"])
def test_plain_http_is_refused_even_to_a_public_host(url: str) -> None:
    error = refused(with_change(only_remote(valid_document()), DANA, url))
    assert (
        "plain http:// and caldav:// only to a host or address READOUT_OUTBOUND_ALLOW names" in error.expected
    )


def test_public_https_webcal_and_caldavs_are_accepted() -> None:
    doc = only_remote(valid_document())
    doc = with_change(doc, "people.ravi.calendar", "webcal://calendar.example/ravi.ics")
    doc = with_change(doc, "people.dana.hold_calendar", "caldavs://calendar.example/dav/dana/holds/")
    loaded = build(doc)
    assert loaded.calendars["ravi"] == RemoteSource("webcal://calendar.example/ravi.ics")
    assert loaded.hold_calendars["dana"] == RemoteSource("caldavs://calendar.example/dav/dana/holds/")


def test_a_name_that_does_not_resolve_now_is_left_to_the_guard_at_fetch() -> None:
    doc = with_change(only_remote(valid_document()), DANA, "https://not-yet.example/dana.ics")
    assert build(doc).calendars["dana"] == RemoteSource("https://not-yet.example/dana.ics")
    assert refused(with_change(doc, DANA, "http://not-yet.example/dana.ics")).field == DANA


@pytest.mark.parametrize(
    ("allow", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:5232/dana/"),
        ("127.0.0.1:5232", "caldav://127.0.0.1:5232/dana/"),
        ("10.20.0.0/16", "https://dav.internal/dana.ics"),
        ("dav.internal", "http://dav.internal/dana.ics"),
        ("dav.internal:8443", "https://dav.internal:8443/dana.ics"),
        ("localhost", "http://localhost:5232/dana/"),
    ],
)
def test_the_operator_allow_list_admits_what_it_names(
    allow: str, url: str, resolving: dict[str, list[str]]
) -> None:
    resolving["dav.internal"] = ["10.20.0.5"]
    doc = with_change(only_remote(valid_document()), DANA, url)
    assert build(doc, allow=allow).calendars["dana"] == RemoteSource(url)


@pytest.mark.parametrize(
    ("allow", "url"),
    [
        ("127.0.0.1:5232", "http://127.0.0.1:6379/"),  # another port
        ("localhost", "http://127.0.0.1:5232/dana/"),  # a listed name admits that name, not its addresses
        ("dav.internal", "https://other.internal/dana.ics"),
    ],
)
def test_the_allow_list_admits_nothing_more(allow: str, url: str, resolving: dict[str, list[str]]) -> None:
    resolving["other.internal"] = ["10.20.0.6"]
    assert refused(with_change(only_remote(valid_document()), DANA, url), allow=allow).field == DANA


# --- documents from a file keep the case file's rules -------------------------------------------------------


def test_a_case_file_may_still_name_any_local_file_and_loopback_url(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.ics"
    outside.write_bytes(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n")
    doc = with_change(valid_document(), DANA, str(outside))
    doc = with_change(doc, "people.ravi.calendar", "http://127.0.0.1:5232/ravi/")
    loaded = load_case(write_case(tmp_path, doc))
    assert loaded.calendars["dana"] == outside
    assert CaseFileBuilder().build(loaded.document).calendars["ravi"] == RemoteSource(
        "http://127.0.0.1:5232/ravi/"
    )


# --- the service's builder follows the settings ----------------------------------------------------------


def test_the_services_builder_uses_the_calendar_root_and_the_allow_list(root: Path, tmp_path: Path) -> None:
    environ = {"READOUT_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}"}
    doc = with_change(valid_document(), "people.ravi.calendar", "http://127.0.0.1:5232/ravi/")
    with pytest.raises(CaseFileError) as caught:
        workflow_deps(environ=environ).cases.build(CaseDocument(doc, API_ORIGIN))
    assert caught.value.field == "customer.cab_blackouts.2.calendar"  # no root: no local file
    environ |= {"READOUT_CALENDAR_ROOT": str(root)}
    with pytest.raises(CaseFileError) as caught:
        workflow_deps(environ=environ).cases.build(CaseDocument(doc, API_ORIGIN))
    assert caught.value.field == "people.ravi.calendar"  # loopback, not on the allow-list
    environ |= {"READOUT_OUTBOUND_ALLOW": "127.0.0.1:5232"}
    loaded = workflow_deps(environ=environ).cases.build(CaseDocument(doc, API_ORIGIN))
    assert loaded.calendars["dana"] == root.resolve() / "calendars" / "dana.ics"
    assert loaded.calendars["ravi"] == RemoteSource("http://127.0.0.1:5232/ravi/")
