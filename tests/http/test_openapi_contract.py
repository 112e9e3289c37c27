"""Contract tests from the OpenAPI document (schemathesis): every operation, with requests generated from its
schema, answers with a documented status and content type, a body that matches its schema, and never a
server error, on SQLite and PostgreSQL. An escalation is open first so that generated ids can hit one.

Requests go through the test's own ``TestClient`` (schemathesis's ASGI transport does not run with this
urllib3); schemathesis generates them and checks the answers."""

from __future__ import annotations

from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import Case
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.http.conftest import GLOBEX, as_user, case_json
from tests.services.flows import PSM

# The case file's rules go beyond what its JSON schema can say (IANA zone names, people the roles name, the
# calendar root): a document the schema allows may still be refused, with its field path. So may a report
# period whose `from` is after its `to` (two valid dates; the schema cannot relate them).
_DOCUMENT_BODIES = {
    ("POST", "/v1/escalations"),
    ("PUT", "/v1/escalations/{escalation_id}/case"),
    ("GET", "/v1/report"),
}
_ACCEPTED = ("method", "url", "headers", "params", "json", "data", "content", "files")


def _send(client: TestClient, case: Case) -> Any:
    kwargs = case.as_transport_kwargs(base_url="http://testserver", headers={"X-Test-User": PSM})
    if isinstance(kwargs.get("data"), str | bytes):  # raw text goes as content (httpx's spelling)
        kwargs["content"] = kwargs.pop("data")
    cookies = kwargs.pop("cookies", None)
    if cookies:
        kwargs["headers"] = {**kwargs["headers"], "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    return client.request(**{k: v for k, v in kwargs.items() if k in _ACCEPTED and v is not None})


def test_every_operation_keeps_to_its_openapi_document(client: TestClient) -> None:
    assert client.post("/v1/escalations", json=case_json(GLOBEX), headers=as_user(PSM)).status_code == 201
    schema = schemathesis.openapi.from_dict(client.get("/openapi.json").json())
    every = [result.ok() for result in schema.get_all_operations()]
    # Sign-in itself is tested with real credentials (test_auth_http.py); here a stand-in principal signs in.
    operations = [op for op in every if op.path != "/v1/session"]
    assert len(operations) >= 17

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def conforms(case: Case) -> None:
            documents = (case.operation.method.upper(), case.operation.path) in _DOCUMENT_BODIES
            excluded = [positive_data_acceptance] if documents else None
            case.validate_response(_send(client, case), excluded_checks=excluded)

        conforms()
