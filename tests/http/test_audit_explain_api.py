"""The auditor's reads over HTTP: ``GET /v1/escalations/{id}/audit/explain?slot=`` answers from the log like
the CLI, and the export comes as self-describing JSON Lines or an HTML report."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.http.conftest import GLOBEX, GLOBEX_ID, as_user, case_json
from tests.services.flows import EM, PSM

BEST = "2026-11-17T18:00:00Z"


def test_explain_says_each_plan_offered_the_slot_and_names_its_hold(client: TestClient) -> None:
    assert client.post("/v1/escalations", json=case_json(GLOBEX), headers=as_user(PSM)).status_code == 201
    client.post(f"/v1/escalations/{GLOBEX_ID}/holds", headers=as_user(EM))

    best = client.get(
        f"/v1/escalations/{GLOBEX_ID}/audit/explain", params={"slot": BEST}, headers=as_user(PSM)
    )
    night = client.get(
        f"/v1/escalations/{GLOBEX_ID}/audit/explain",
        params={"slot": "2026-11-17T06:00:00Z"},
        headers=as_user(PSM),
    )
    naive = client.get(
        f"/v1/escalations/{GLOBEX_ID}/audit/explain",
        params={"slot": "2026-11-17T18:00:00"},
        headers=as_user(PSM),
    )

    assert best.status_code == 200
    assert [(p["verdict"], p["rank"]) for p in best.json()["plans"]] == [("candidate", 1)]
    assert [h["kind"] for h in best.json()["holds"]] == ["hold_placed", "hold_on_calendar"]
    assert night.json()["plans"][0]["verdict"] == "rejected"
    assert "COVERAGE" in night.json()["plans"][0]["families"]
    assert naive.status_code == 422
    assert "slot" in naive.json()["detail"]


def test_the_export_comes_as_json_lines_and_as_an_html_report(client: TestClient) -> None:
    assert client.post("/v1/escalations", json=case_json(GLOBEX), headers=as_user(PSM)).status_code == 201
    url = f"/v1/escalations/{GLOBEX_ID}/audit/export"

    lines = client.get(url, params={"format": "jsonl"}, headers=as_user(PSM))
    page = client.get(url, params={"format": "html"}, headers=as_user(PSM))

    rows = [json.loads(line) for line in lines.text.splitlines()]
    assert rows[0]["format"] == "readout-audit-export/1"
    assert [r["kind"] for r in rows[1:-1]][:2] == ["opened", "plan"]
    assert rows[-1]["head"]["seq"] == len(rows) - 2
    assert f'filename="audit-{GLOBEX_ID}.jsonl"' in lines.headers["content-disposition"]
    assert page.headers["content-type"].startswith("text/html")
    assert "Chain verified: intact." in page.text
