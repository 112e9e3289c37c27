"""``readout report``: the hand-computed store of tests/services/outcome_store.py through the command line, on
SQLite and PostgreSQL. ``--json`` prints exactly what ``services.outcomes.measure`` gives on the same store
(what a simulator driving that store prints), and the readable report names each measure."""

from __future__ import annotations

import json

import pytest

from readout.adapters.casefile.loader import CaseFileBuilder
from readout.adapters.ics.files import IcsFileReader
from readout.adapters.memory.hold_calendar import MemoryHoldCalendar
from readout.entrypoints.cli import main
from readout.services.context import Deps
from readout.services.outcomes import measure
from tests.services.outcome_store import AS_OF, measured_by_sql, write_outcome_store
from tests.support.db_fixtures import Store

NOW = "2026-11-20T12:00:00Z"


@pytest.fixture
def store(sql_uow_factory: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    write_outcome_store(sql_uow_factory)
    monkeypatch.setenv("READOUT_DATABASE_URL", str(sql_uow_factory.url))
    monkeypatch.setenv("COLUMNS", "160")
    return sql_uow_factory


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["report", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_is_what_measure_gives_on_the_same_store(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, "--json", "--now", NOW)
    assert code == 0
    printed = json.loads(out)
    deps = Deps(
        uow=measured_by_sql(store), reader=IcsFileReader(), holds=MemoryHoldCalendar(),
        clock=lambda: AS_OF, cases=CaseFileBuilder(),
    )  # fmt: skip
    assert printed == measure(deps).to_json()
    assert printed["overall"]["first_pass"]["share"] == 0.3333
    assert printed["overall"]["deadlines"]["missed"] == 2
    assert sorted(printed["customers"]) == ["acme", "globex"]


def test_period_and_customer_options(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--json", "--now", NOW, "--from", "2026-11-03", "--to", "2026-11-05")
    assert code == 0
    assert json.loads(out)["overall"]["escalations"] == 2
    code, out, _ = _run(capsys, "--json", "--now", NOW, "--customer", "acme")
    report = json.loads(out)
    assert (report["overall"]["escalations"], list(report["customers"])) == (2, ["acme"])


def test_readable_report_names_the_measures(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--now", NOW)
    assert code == 0
    assert "Time to first viable slot: 4 reached, 1 not yet" in out
    assert "human wait" in out
    assert "3 h 30 min" in out  # the median total
    assert "First pass: 1 of 3 confirmed (33%) without back-and-forth" in out
    assert "INTERPRETER" in out
    assert (
        "met 1, missed 2 (1 confirmed late, 1 still open, 0 cancelled after it), pending 1, cancelled before it 1"
        in out
    )
    assert "acme" in out
    assert "globex" in out


def test_a_period_that_ends_before_it_starts_is_bad_input(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, "--from", "2026-11-05", "--to", "2026-11-03")
    assert code == 2
    assert "--from 2026-11-05 is after its --to 2026-11-03" in err
    with pytest.raises(SystemExit) as exited:
        main(["report", "--from", "5 Nov"])
    assert exited.value.code == 2
    assert "is not a date: write YYYY-MM-DD" in capsys.readouterr().err
