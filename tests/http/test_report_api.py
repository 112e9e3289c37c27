"""``GET /v1/report`` on the hand-computed store of tests/services/outcome_store.py (SQLite and PostgreSQL):
the body is ``readout report --json``'s, the query selects the period and customer, bad input is a problem."""

from __future__ import annotations

from fastapi.testclient import TestClient

from readout.services.context import Deps
from readout.services.outcomes import measure
from tests.http.conftest import as_user
from tests.services.flows import PSM, Clock
from tests.services.outcome_store import AS_OF, write_outcome_store
from tests.support.db_fixtures import Store


def _ready(store: Store, clock: Clock) -> None:
    write_outcome_store(store)
    clock.set(AS_OF)


def test_report_is_the_cli_json(client: TestClient, deps: Deps, store: Store, clock: Clock) -> None:
    _ready(store, clock)
    answer = client.get("/v1/report", headers=as_user(PSM))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body == measure(deps).to_json()
    assert body["period"] == {"from": None, "to": None, "customer": None}
    assert body["overall"]["time_to_viable"]["total"] == {"median_s": 12600, "p90_s": 21600}
    assert body["overall"]["escalation_causes"]["by_cause"]["INTERPRETER"] == 1


def test_period_and_customer_in_the_query(client: TestClient, store: Store, clock: Clock) -> None:
    _ready(store, clock)
    body = client.get(
        "/v1/report",
        params={"from": "2026-11-03", "to": "2026-11-05", "customer": "globex"},
        headers=as_user(PSM),
    ).json()
    assert body["period"] == {"from": "2026-11-03", "to": "2026-11-05", "customer": "globex"}
    assert body["overall"]["escalations"] == 1  # C only
    assert body["overall"]["deadlines"]["missed_still_open"] == 1


def test_bad_periods_are_problems(client: TestClient, store: Store, clock: Clock) -> None:
    _ready(store, clock)
    reversed_ = client.get(
        "/v1/report", params={"from": "2026-11-05", "to": "2026-11-03"}, headers=as_user(PSM)
    )
    assert reversed_.status_code == 422
    assert reversed_.headers["content-type"].startswith("application/problem+json")
    assert reversed_.json()["field"] == "from"
    assert client.get("/v1/report", params={"from": "5 Nov"}, headers=as_user(PSM)).status_code == 422
    assert client.get("/v1/report").status_code == 401
