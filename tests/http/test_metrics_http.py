"""``GET /metrics`` (docs/metrics.md) through the app (TestClient, SQLite and PostgreSQL) and served by
``readout serve --workers 2`` in multiprocess mode: open to scrapers without sign-in, the Prometheus text
format, no name or id in any label, left out of the OpenAPI document."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import httpx
import yaml
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from readout.adapters.casefile.loader import CaseFileBuilder, read_case_file
from readout.adapters.ics.files import IcsFileReader
from readout.adapters.memory.hold_calendar import MemoryHoldCalendar
from readout.adapters.sql import SqlUnitOfWork, create_engine_from_url, migrate
from readout.entrypoints.http.app import create_app
from readout.services.context import Deps
from readout.services.escalations import open_escalation
from tests.http.conftest import FREEZE, FREEZE_ID, GLOBEX, GLOBEX_ID, as_user, case_json
from tests.services.flows import EM, EXAMPLES, PSM, Clock, seed_users, u

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def label_values(samples: Iterable[tuple[str, frozenset[tuple[str, str]]]]) -> set[str]:
    return {v for _, labels in samples for k, v in labels if k != "le"}


def test_metrics_need_no_sign_in_and_show_the_stores_escalations_without_ids(client: TestClient) -> None:
    empty = client.get("/metrics")  # no X-Test-User, no token: a scraper signs in nowhere
    assert empty.status_code == 200
    assert empty.headers["content-type"] == PROMETHEUS_TEXT
    assert value(parse(empty.text), "readout_escalations", state="planned") == 0

    for name in (GLOBEX, FREEZE):
        assert client.post("/v1/escalations", json=case_json(name), headers=as_user(PSM)).status_code == 201
    states = [
        client.get(f"/v1/escalations/{e}", headers=as_user(PSM)).json()["state"]
        for e in (GLOBEX_ID, FREEZE_ID)
    ]

    answer = client.get("/metrics")
    samples = parse(answer.text)
    for state in set(states):
        assert value(samples, "readout_escalations", state=state) == states.count(state)
    assert value(samples, "readout_store_up") == 1
    assert value(samples, "readout_plan_duration_seconds_count", status="ready") >= 1
    assert GLOBEX_ID not in answer.text
    assert FREEZE_ID not in answer.text
    assert "Globex" not in answer.text
    assert not label_values(samples) & {PSM, "dmitri", "omar", GLOBEX_ID, FREEZE_ID}
    assert "aggregate with max across instances" in answer.text.lower()


def test_metrics_are_not_part_of_the_api_document(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert "/metrics" not in document["paths"]
    assert "/v1/escalations" in document["paths"]


def test_each_app_in_one_process_reports_its_own_store(tmp_path: Path) -> None:
    """Apps are made many times in one process (tests, an embedding): no registry clash, and each app's
    store gauges read that app's store."""
    empty_url = f"sqlite:///{tmp_path / 'empty.db'}"
    migrate(create_engine_from_url(empty_url))
    urls = {"opened": _opened_store(tmp_path / "opened.db"), "empty": empty_url}
    answers = {}
    for name, url in urls.items():
        environ = {"READOUT_DATABASE_URL": url}
        with TestClient(create_app(environ=environ, readiness=lambda: ("head", None))) as client:
            answers[name] = parse(client.get("/metrics").text)
    assert value(answers["opened"], "readout_escalations", state="planned") == 1
    assert value(answers["empty"], "readout_escalations", state="planned") == 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _opened_store(path: Path) -> str:
    """A SQLite store with the Globex escalation opened through the services."""
    url = f"sqlite:///{path}"
    engine = create_engine_from_url(url)
    migrate(engine)

    def uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(engine)

    seed_users(uow)
    clock = Clock(u(2026, 11, 1))
    deps = Deps(
        uow=uow,
        reader=IcsFileReader(),
        holds=MemoryHoldCalendar(),
        clock=clock,
        cases=CaseFileBuilder(calendar_root=EXAMPLES),
        pinned=True,
    )
    case = EXAMPLES / GLOBEX / "case.yaml"
    clock.set(yaml.safe_load(case.read_text())["now"])  # as the case file says: its plan is ready
    open_escalation(deps, read_case_file(case), EM)
    engine.dispose()
    return url


def test_two_served_worker_processes_report_the_store_and_add_up_their_counters(tmp_path: Path) -> None:
    port = _free_port()
    folder = tmp_path / "prometheus"
    folder.mkdir()
    environ = {
        **os.environ,
        "READOUT_DATABASE_URL": _opened_store(tmp_path / "store.db"),
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "readout.entrypoints.cli", "serve", "--port", str(port), "--workers", "2"],
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        answer = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and answer is None:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
            except httpx.TransportError:
                time.sleep(0.2)
        assert answer is not None, "the server did not come up"
        assert answer.status_code == 200
        assert answer.headers["content-type"] == PROMETHEUS_TEXT
        samples = parse(answer.text)
        assert value(samples, "readout_escalations", state="planned") == 1
        assert value(samples, "readout_live_holds") == 0
        assert value(samples, "readout_outbox_depth") == 0
        # Multiprocess mode: every process's counters are read from the folder, whichever process answers.
        assert value(samples, "readout_channel_errors_total", kind="rate_limited") == 0
        assert any(folder.iterdir())
    finally:
        process.send_signal(signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
    assert output.count("Started server process") >= 2, output[-2000:]
