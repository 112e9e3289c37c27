"""Stored documents built once per process for a minute (adapters/casefile/built_cases.py): a service does not
validate the same document on every request, and still holds it to the intake checks it would meet."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from readout.adapters.casefile.built_cases import BuiltCases
from readout.adapters.casefile.loader import CaseFileBuilder
from readout.config import OutboundPolicy
from readout.domain.case_document import API_ORIGIN, CaseDocument, LoadedCase
from readout.errors import CaseFileError

from .test_casefile import valid_document, with_change, write_case


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "root"
    folder.mkdir()
    write_case(folder, {})
    return folder


def _counting(root: Path, allow: str = "") -> tuple[list[str], Any]:
    built: list[str] = []
    builder = CaseFileBuilder(root, OutboundPolicy.parse(allow))

    def build(document: CaseDocument) -> LoadedCase:
        built.append(document.digest)
        return builder.build(document)

    return built, build


def test_the_same_document_is_built_once_and_answers_the_same_case(root: Path) -> None:
    built, build = _counting(root)
    cases = BuiltCases(build)
    document = CaseDocument(valid_document(), API_ORIGIN)
    first = cases.build(document)
    again = cases.build(
        CaseDocument(valid_document(), API_ORIGIN)
    )  # the same body, read again from the store
    assert again is first
    assert len(built) == 1
    other = CaseDocument(with_change(valid_document(), "policy.granularity_minutes", 30), API_ORIGIN)
    assert cases.build(other).case != first.case
    assert len(built) == 2


def test_after_the_time_to_live_the_document_is_built_and_checked_again(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = with_change(valid_document(), "people.ravi.calendar", "https://calendar.example/ravi.ics")
    answers = {"calendar.example": "93.184.215.14"}

    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    clock = Clock()
    built, build = _counting(root)
    cases = BuiltCases(build, ttl=60, clock=clock)
    cases.build(CaseDocument(doc, API_ORIGIN))
    answers["calendar.example"] = "10.0.0.7"  # the name now points inside the network
    clock.now += 59
    cases.build(CaseDocument(doc, API_ORIGIN))  # within the minute: kept (every connection is checked anyway)
    clock.now += 2
    with pytest.raises(CaseFileError) as refused:
        cases.build(CaseDocument(doc, API_ORIGIN))
    assert refused.value.field == "people.ravi.calendar"
    assert len(built) == 2


def test_a_document_that_fails_is_never_kept(root: Path) -> None:
    built, build = _counting(root)
    cases = BuiltCases(build)
    bad = CaseDocument(with_change(valid_document(), "policy.granularity_minutes", -5), API_ORIGIN)
    for _ in range(2):
        with pytest.raises(CaseFileError):
            cases.build(bad)
    assert len(built) == 2


def test_the_memory_is_bounded(root: Path) -> None:
    built, build = _counting(root)
    cases = BuiltCases(build, max_entries=2)
    documents = [
        CaseDocument(with_change(valid_document(), "policy.granularity_minutes", minutes), API_ORIGIN)
        for minutes in (5, 10, 30)
    ]
    for document in documents:
        cases.build(document)
    cases.build(documents[2])
    assert len(built) == 3
    cases.build(documents[0])  # the least recently used was let go
    assert len(built) == 4
