"""``readout simulate``: the same seed gives the same report; the report agrees with ``readout report --json`` on
the store the run leaves (SQLite and PostgreSQL); a calendar that is down makes its owner unknown (a re-plan
follows), never free; no calendar event title reaches the store; bad options are one line, exit 2."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.schema import MetaData, Table

from readout.adapters.sql import create_engine_from_url
from readout.domain.intervals import Interval
from readout.domain.sources import RemoteSource
from readout.entrypoints.cli import main
from readout.errors import SourceUnavailable
from readout.simulation import SimulationOptions, simulate
from readout.simulation.calendars import SimulatedCalendars, source_url
from readout.simulation.cases import draw_incidents
from readout.simulation.org import build_org
from readout.simulation.runner import START

SMALL = {"escalations": 24, "weeks": 2, "seed": 3}


def _run(tmp_path: Path, name: str, **changes: Any) -> dict[str, Any]:
    options = SimulationOptions(**{**SMALL, "store": tmp_path / name, **changes})
    return simulate(options).to_json()


def test_the_same_seed_gives_the_same_report_and_run(tmp_path: Path) -> None:
    first = _run(tmp_path, "a.sqlite3")
    # again in another interpreter with another hash seed: nothing may depend on set or dict order by hash
    argv = [
        sys.executable,
        "-m",
        "readout.entrypoints.cli",
        "simulate",
        "--json",
        "--store",
        str(tmp_path / "b.sqlite3"),
    ]
    argv += [f"--{k}={v}" for k, v in SMALL.items()]
    done = subprocess.run(
        argv, capture_output=True, text=True, check=True, env={**os.environ, "PYTHONHASHSEED": "4242"}
    )
    again = json.loads(done.stdout)
    assert first["report"] == again["report"]
    assert first["simulation"]["events"] == again["simulation"]["events"]
    assert first["report"]["overall"]["escalations"] == SMALL["escalations"]
    other = _run(tmp_path, "c.sqlite3", seed=4)
    assert other["report"] != first["report"]  # the seed matters


def _report_cli(
    url: str, as_of: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> dict[str, Any]:
    """``readout report --json`` on ``url`` as of the simulation's virtual end (the instant it measured at)."""
    monkeypatch.setenv("READOUT_DATABASE_URL", url)
    capsys.readouterr()
    assert main(["report", "--json", "--now", as_of]) == 0
    found: dict[str, Any] = json.loads(capsys.readouterr().out)
    return found


def test_simulate_json_agrees_with_readout_report_on_the_store_it_leaves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "sim.sqlite3"
    argv = ["simulate", "--escalations", "30", "--weeks", "2", "--seed", "1", "--json", "--store", str(store)]
    assert main(argv) == 0
    printed = json.loads(capsys.readouterr().out)
    assert (printed["seed"], printed["escalations"], printed["weeks"]) == (1, 30, 2)
    assert printed["policy"]["name"] == "baseline"
    assert printed["comparison"] == []
    reported = _report_cli(f"sqlite:///{store}", printed["report"]["as_of"], monkeypatch, capsys)
    assert printed["report"] == reported
    assert reported["overall"]["escalations"] == 30


def test_a_small_run_on_each_sql_store_agrees_with_the_report(
    blank_database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """On SQLite and PostgreSQL (an empty database given by URL, migrated by the run)."""
    result = simulate(
        SimulationOptions(escalations=12, weeks=1, seed=2, store=None, database_url=blank_database_url)
    )
    printed = result.to_json()
    assert printed["report"]["overall"]["escalations"] == 12
    report = printed["report"]
    assert report == _report_cli(blank_database_url, report["as_of"], monkeypatch, capsys)
    # a store that already holds escalations is refused, not mixed into
    monkeypatch.delenv("READOUT_DATABASE_URL")
    assert main(["simulate", "--escalations", "2", "--weeks", "1", "--database-url", blank_database_url]) == 3


def test_an_existing_store_file_is_kept_without_replace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "kept.sqlite3"
    store.write_text("mine")
    assert main(["simulate", "--escalations", "2", "--weeks", "1", "--store", str(store)]) == 3
    assert store.read_text() == "mine"
    assert "--replace" in capsys.readouterr().err
    assert main(["simulate", "--escalations", "2", "--weeks", "1", "--store", str(store), "--replace"]) == 0
    assert sqlite3.connect(store).execute("select count(*) from escalations").fetchone() == (2,)


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        (["--escalations", "0"], "--escalations"),
        (["--escalations", "many"], "--escalations"),
        (["--weeks", "-1"], "--weeks"),
        (["--seed", "1.5"], "--seed"),
        (["--database-url", "not a url"], "--database-url"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(
    argv: list[str], names: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate", "--store", str(tmp_path / "x.sqlite3"), *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert names in err
    assert not (tmp_path / "x.sqlite3").exists()


def test_a_calendar_that_is_down_makes_its_owner_unknown_never_free() -> None:
    org = build_org(1, 12, START, START + timedelta(weeks=1))
    now = [START + timedelta(days=1)]
    calendars = SimulatedCalendars(org.calendars, lambda: now[0])
    key = org.ems[0]
    source = RemoteSource(source_url(key))
    window = Interval(START, START + timedelta(days=7))
    read = {"window": window, "zone": START.tzinfo, "tentative_is_busy": True, "exclude_escalation": None}
    busy = calendars.busy(source, **read)  # type: ignore[arg-type]
    assert busy
    assert all(isinstance(i, Interval) for i in busy)
    calendars.outage(key, Interval(START, START + timedelta(days=2)))
    with pytest.raises(SourceUnavailable, match="unavailable"):
        calendars.busy(source, **read)  # type: ignore[arg-type]
    now[0] = START + timedelta(days=2)  # the outage is over: half-open
    assert calendars.busy(source, **read) == busy  # type: ignore[arg-type]


def test_an_outage_during_planning_shows_the_person_unknown_and_a_replan_follows(tmp_path: Path) -> None:
    org = build_org(SMALL["seed"], SMALL["escalations"], START, START + timedelta(weeks=SMALL["weeks"]))
    first = draw_incidents(org, SMALL["seed"], SMALL["escalations"])[0]
    down = Interval(first.approved_at - timedelta(hours=1), first.approved_at + timedelta(hours=8))
    result = simulate(
        SimulationOptions(
            **SMALL, store=tmp_path / "down.sqlite3", outages=((first.escalation_manager, down),)
        )
    )
    engine = create_engine_from_url(result.variants[0].store)
    with engine.connect() as connection:
        rows = connection.execute(
            text("select kind, payload from audit_entries where escalation_id = :e order by seq"),
            {"e": first.escalation_id},
        ).all()
    engine.dispose()
    plans = [json.loads(payload) for kind, payload in rows if kind == "plan"]
    during = [p for p in plans if p["as_of"] < down.end.strftime("%Y-%m-%dT%H:%M:%SZ")]
    after = [p for p in plans if p["as_of"] >= down.end.strftime("%Y-%m-%dT%H:%M:%SZ")]
    assert during, "the escalation was planned while the calendar was down"
    for plan in during:
        unknown = {u["id"]: u for u in plan["unknown"]}
        assert first.escalation_manager in unknown  # named unknown, with the error
        assert "unavailable" in unknown[first.escalation_manager]["error"]
        assert plan["status"] == "needs_exception"
        assert plan["compliant_count"] == 0  # never taken as free
    assert after
    assert not after[0]["unknown"]
    assert result.variants[0].stats["events"]["unknown_people"] >= len(during)


def _all_text(url: str) -> str:
    """Every value of every row of every table, as text."""
    engine = create_engine_from_url(url)
    parts: list[str] = []
    with engine.connect() as connection:
        for name in inspect(engine).get_table_names():
            table = Table(name, MetaData(), autoload_with=connection)
            for row in connection.execute(select(table)):
                parts.extend(str(value) for value in row)
    engine.dispose()
    return "\n".join(parts)


def test_no_calendar_event_title_reaches_the_store(tmp_path: Path) -> None:
    result = simulate(SimulationOptions(**SMALL, store=tmp_path / "titles.sqlite3"))
    org = build_org(SMALL["seed"], SMALL["escalations"], START, START + timedelta(weeks=SMALL["weeks"]))
    titles = {title for book in org.calendars.values() for title in book.titles.values()}
    assert len(titles) > 10  # the calendars do carry titles
    stored = _all_text(result.variants[0].store)
    assert "hold_placed" in stored
    assert "plan" in stored
    leaked = sorted(t for t in titles if t in stored)
    assert leaked == []


def test_compare_runs_each_variant_on_its_own_store_with_its_policy(tmp_path: Path) -> None:
    result = simulate(
        SimulationOptions(escalations=10, weeks=1, seed=5, store=tmp_path / "cmp.sqlite3", compare=True)
    )
    printed = result.to_json()
    names = [c["policy"]["name"] for c in printed["comparison"]]
    assert names[0] == "baseline"
    assert len(names) == len(set(names)) >= 4
    stores = {c["store"] for c in printed["comparison"]}
    assert len(stores) == len(names)
    for variant in result.variants:
        url = variant.store
        engine = create_engine_from_url(url)
        with engine.connect() as connection:
            bodies = [
                json.loads(b) for (b,) in connection.execute(text("select document from case_versions"))
            ]
        engine.dispose()
        policy = variant.policy
        assert bodies
        assert all(
            b["policy"]["granularity_minutes"] == policy.granularity
            and b["policy"]["holds"] == {"count": policy.hold_count, "ttl_hours": policy.ttl_hours}
            for b in bodies
        )
        assert variant.report["overall"]["escalations"] == 10


def test_plots_are_pngs_of_each_distribution(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["simulate", "--escalations", "8", "--weeks", "1", "--seed", "6", "--compare"]
    argv += ["--store", str(tmp_path / "p.sqlite3"), "--plots", str(tmp_path / "plots")]
    assert main(argv) == 0
    out = capsys.readouterr()
    for name in ("time-to-viable.png", "causes.png"):
        assert (tmp_path / "plots" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert name in out.err
    assert "holds-off" in out.out
    assert "granularity-30" in out.out


def test_the_readable_summary_names_the_command_that_reports_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "sim.sqlite3"
    assert main(["simulate", "--escalations", "8", "--weeks", "1", "--seed", "4", "--store", str(store)]) == 0
    (line,) = [x for x in capsys.readouterr().out.splitlines() if x.startswith("the same report: ")]
    setting, *command = line.removeprefix("the same report: ").split()
    name, url = setting.split("=", 1)
    assert (name, url, command[:2]) == ("READOUT_DATABASE_URL", f"sqlite:///{store}", ["readout", "report"])
    monkeypatch.setenv(name, url)
    assert main([*command[1:], "--json"]) == 0
    reported = json.loads(capsys.readouterr().out)
    assert reported["overall"]["escalations"] == 8
    assert reported["as_of"] == command[-1].replace("+00:00", "Z")
