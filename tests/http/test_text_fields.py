"""A reason must say something: the OpenAPI document and the server agree on what is blank, whatever the
regex engine (a NEL, U+0085, was valid by the document's ECMA-262 ``\\S`` and refused by the server)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.http.conftest import GLOBEX, GLOBEX_ID, as_user, case_json
from tests.services.flows import PSM

BLANKS = [" ", "\u0085", "\u00a0", "\u2028", "\u3000", "\ufeff", "\u001c", "\t\n"]


def _pattern(client: TestClient) -> str:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    found = {
        prop["pattern"]
        for schema in schemas.values()
        for prop in schema.get("properties", {}).values()
        if isinstance(prop, dict) and "pattern" in prop and prop.get("maxLength") == 2000
    }
    assert len(found) == 1, found
    return found.pop()


@pytest.mark.parametrize("blank", BLANKS)
def test_a_blank_reason_is_refused_by_the_document_and_the_server_alike(
    client: TestClient, blank: str
) -> None:
    assert re.search(_pattern(client), blank) is None  # what a client validating the document concludes
    client.post("/v1/escalations", json=case_json(GLOBEX), headers=as_user(PSM))
    answer = client.post(
        f"/v1/escalations/{GLOBEX_ID}/exceptions", json={"reason": blank}, headers=as_user(PSM)
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "body.reason"


def test_a_reason_with_words_passes_both(client: TestClient) -> None:
    assert re.search(_pattern(client), " customer asked ")
