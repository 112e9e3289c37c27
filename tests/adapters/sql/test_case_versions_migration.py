"""Upgrading a store from before escalation records (revision 0004 -> 0005): each escalation's case file is
imported as version 1 with an audit entry, and one whose file is gone says so when its case is needed."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, text

from readout.adapters.casefile.loader import CaseFileBuilder
from readout.adapters.ics.files import IcsFileReader
from readout.adapters.ledger_only import LedgerOnlyHoldCalendar
from readout.adapters.sql import SqlUnitOfWork, create_engine_from_url, migrate
from readout.adapters.sql.migration import _config
from readout.domain.audit import GENESIS, chain
from readout.errors import Refused
from readout.services.context import Deps
from readout.services.escalations import replan_stored
from readout.services.queries import verify_audit

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "globex-sso-outage"
OPENED = datetime(2026, 11, 12, 15, tzinfo=UTC)


@pytest.fixture
def old_store(blank_database_url: str) -> Iterator[Engine]:
    """A store at revision 0004 (escalations name their case file)."""
    engine = create_engine_from_url(blank_database_url)
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")
    yield engine
    engine.dispose()


def _old_escalation(engine: Engine, escalation_id: str, case_path: Path) -> None:
    entry = chain(0, GENESIS, escalation_id, OPENED, "dana", "opened", {"case_digest": "file-digest"})
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO escalations (id, case_path, case_digest, customer_id, opened_at, state, version,"
                " audit_seq, audit_head) VALUES (:id, :path, 'file-digest', 'globex-financial', :at, 'opened',"
                " 1, 1, :head)"
            ),
            {
                "id": escalation_id,
                "path": str(case_path),
                "at": OPENED.replace(tzinfo=None),
                "head": entry.hash,
            },
        )
        connection.execute(
            text(
                "INSERT INTO audit_entries (escalation_id, seq, at, actor, kind, payload, prev_hash, hash)"
                " VALUES (:id, 1, :at, 'dana', 'opened', :payload, :prev, :hash)"
            ),
            {
                "id": escalation_id,
                "at": OPENED.replace(tzinfo=None) if engine.dialect.name == "sqlite" else OPENED,
                "payload": '{"case_digest": "file-digest"}',
                "prev": GENESIS,
                "hash": entry.hash,
            },
        )


def _deps(engine: Engine) -> Deps:
    return Deps(
        uow=lambda: SqlUnitOfWork(engine),
        reader=IcsFileReader(),
        holds=LedgerOnlyHoldCalendar(),
        clock=lambda: OPENED,
        cases=CaseFileBuilder(),
        pinned=True,
    )


def test_upgrading_imports_each_case_file_as_version_1_with_an_audit_entry(
    old_store: Engine, tmp_path: Path
) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "globex")
    _old_escalation(old_store, "ESC-48213", tmp_path / "globex" / "case.yaml")

    migrate(old_store)
    (tmp_path / "globex" / "case.yaml").unlink()  # the store is the record now

    with SqlUnitOfWork(old_store) as uow:
        (version,) = uow.cases.of("ESC-48213")
        esc = uow.escalations.get("ESC-48213")
        entries = uow.audit.entries("ESC-48213")
    assert esc is not None
    assert (version.version, version.imported_by) == (1, "readout")
    assert version.document.origin == str(tmp_path / "globex" / "case.yaml")
    assert (esc.case_version, esc.case_digest) == (1, version.digest)
    assert entries[-1].kind == "case_imported"
    assert entries[-1].payload == {
        "from": "file-digest",
        "to": version.digest,
        "version": 1,
        "origin": str(tmp_path / "globex" / "case.yaml"),
    }
    assert verify_audit(_deps(old_store), "ESC-48213") == {"ESC-48213": []}
    assert "summary" not in version.document.body["escalation"]


def test_an_escalation_whose_file_is_gone_says_which_file_and_what_to_do(
    old_store: Engine, tmp_path: Path
) -> None:
    missing = tmp_path / "moved-away" / "case.yaml"
    _old_escalation(old_store, "ESC-1", missing)

    migrate(old_store)

    with SqlUnitOfWork(old_store) as uow:
        assert uow.cases.of("ESC-1") == []
        esc = uow.escalations.get("ESC-1")
    assert esc is not None
    assert (esc.case_version, esc.legacy_case_path) == (0, str(missing))
    with pytest.raises(Refused, match=rf"opened from {missing} .* `readout update ESC-1 CASE`"):
        replan_stored(_deps(old_store), "ESC-1", None, "calendars changed")


def test_a_case_file_naming_a_feed_with_a_token_is_not_imported(old_store: Engine, tmp_path: Path) -> None:
    # The rule `readout open` applies: the token would be stored with the record.
    shutil.copytree(EXAMPLE, tmp_path / "globex")
    case = tmp_path / "globex" / "case.yaml"
    case.write_text(case.read_text().replace("calendars/dana.ics", "https://cal.example/d.ics?token=S3CRET"))
    _old_escalation(old_store, "ESC-48213", case)

    migrate(old_store)

    with SqlUnitOfWork(old_store) as uow:
        assert uow.cases.of("ESC-48213") == []
        esc = uow.escalations.get("ESC-48213")
        entries = uow.audit.entries("ESC-48213")
    assert esc is not None
    assert esc.case_version == 0
    assert [e.kind for e in entries] == ["opened"]
    assert "S3CRET" not in repr(entries)
