"""Liveness, readiness (the store reachable and at the head revision) and the OpenAPI document."""

from __future__ import annotations

from fastapi.testclient import TestClient

from readout import bootstrap
from readout.adapters.sql import head_revision
from readout.entrypoints.http import health
from readout.entrypoints.http.app import create_app
from readout.services.context import Deps


def test_healthz_and_readyz_answer_when_the_store_is_at_head(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "revision": head_revision()}


def test_readyz_is_503_for_a_store_not_migrated_or_unreachable(deps: Deps, blank_database_url: str) -> None:
    for url in (blank_database_url, "postgresql+psycopg://readout:secret@127.0.0.1:1/none"):
        readiness = health.store_readiness(bootstrap.settings({"READOUT_DATABASE_URL": url}), {})
        with TestClient(create_app(deps, readiness=readiness)) as client:
            answer = client.get("/readyz")
            assert client.get("/healthz").status_code == 200  # alive all the same
        assert answer.status_code == 503
        assert answer.headers["content-type"] == "application/problem+json"
        assert "secret" not in answer.text


def test_the_openapi_document_is_3_1_and_describes_the_contract_paths(client: TestClient) -> None:
    document = client.get("/openapi.json").json()

    assert document["openapi"].startswith("3.1")
    paths = document["paths"]
    assert {"post", "get"} <= set(paths["/v1/escalations"])
    assert "get" in paths["/v1/escalations/{escalation_id}"]
    assert "post" in paths["/v1/escalations/{escalation_id}/holds"]
    assert "get" in paths["/v1/escalations/{escalation_id}/audit"]
    opened = paths["/v1/escalations"]["post"]
    assert opened["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CaseDocument"
    }
    schemas = document["components"]["schemas"]
    assert "people" in schemas["CaseDocument"]["properties"]
    assert "PersonSpec" in schemas
    assert {"Idempotency-Key", "If-Match"} <= {
        p["name"] for p in paths["/v1/escalations/{escalation_id}/holds"]["post"]["parameters"]
    }
