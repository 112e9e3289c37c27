"""Escalations over HTTP: open from a case document (the contract: 201, id, state, plan in the spec's JSON form,
Location), read it back, list with filters, a new case version, re-plan; bad documents answered with the
case file's field path and nothing stored."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient

from readout.services import queries
from readout.services.context import Deps
from tests.http.conftest import FREEZE, FREEZE_ID, GLOBEX, GLOBEX_ID, as_user, case_json
from tests.services.flows import DUTY, NOBODY, PSM

PROBLEM = "application/problem+json"


def test_opening_an_escalation_answers_201_with_its_plan_in_the_spec_form_and_where_it_lives(
    client: TestClient,
) -> None:
    answer = client.post("/v1/escalations", json=case_json(GLOBEX), headers=as_user(PSM))

    assert answer.status_code == 201
    assert answer.headers["location"] == f"/v1/escalations/{GLOBEX_ID}"
    body = answer.json()
    assert (body["id"], body["state"]) == (GLOBEX_ID, "planned")
    plan = body["plan"]
    assert plan["escalation_id"] == GLOBEX_ID
    assert plan["status"] == "ready"
    assert plan["deadline"] == "2026-11-20T06:00:00Z"  # end of Thu 19 Nov in Mexico City
    assert plan["candidates"][0]["start"] == "2026-11-17T18:00:00Z"
    assert plan["compliant_count"] == len(plan["candidates"])  # every candidate by default
    assert body["case_version"]["version"] == 1
    assert body["case_version"]["new"] is True


def test_reading_an_escalation_gives_state_holds_plan_and_an_etag(client: TestClient) -> None:
    client.post("/v1/escalations", json=case_json(GLOBEX), headers=as_user(PSM))

    answer = client.get(f"/v1/escalations/{GLOBEX_ID}", headers=as_user(NOBODY))  # anyone signed in reads

    assert answer.status_code == 200
    body = answer.json()
    assert body["state"] == "planned"
    assert body["holds"] == []
    assert body["plan"]["status"] == "ready"
    assert body["contract_zone"] == "America/Mexico_City"
    assert answer.headers["etag"].startswith('"')
    again = client.get(
        f"/v1/escalations/{GLOBEX_ID}", headers=as_user(NOBODY, **{"If-None-Match": answer.headers["etag"]})
    )
    assert again.status_code == 304


def test_an_unknown_escalation_is_a_404_problem(client: TestClient) -> None:
    for path in ("/v1/escalations/ESC-404", "/v1/escalations/ESC-404/audit"):
        answer = client.get(path, headers=as_user(PSM))
        assert answer.status_code == 404
        assert answer.headers["content-type"] == PROBLEM
        assert "ESC-404" in answer.json()["detail"]
    held = client.post("/v1/escalations/ESC-404/holds", headers=as_user(PSM))
    assert held.status_code == 404


def test_a_bad_document_is_422_with_the_field_path_and_nothing_is_stored(
    client: TestClient, deps: Deps
) -> None:
    document = case_json(GLOBEX)
    document["people"]["luis"]["availability"] = {"funday": "09:00-13:00"}

    answer = client.post("/v1/escalations", json=document, headers=as_user(PSM))

    assert answer.status_code == 422
    assert answer.headers["content-type"] == PROBLEM
    problem = answer.json()
    assert problem["field"] == "people.luis.availability.funday"
    assert problem["detail"].startswith("api: people.luis.availability.funday: ")
    assert queries.list_escalations(deps) == []


def test_documents_json_cannot_carry_are_refused_before_validation(client: TestClient, deps: Deps) -> None:
    duplicate = b'{"version": 1, "version": 1}'
    answer = client.post(
        "/v1/escalations", content=duplicate, headers=as_user(PSM, **{"Content-Type": "application/json"})
    )
    assert answer.status_code == 422
    assert "duplicate key 'version'" in answer.json()["detail"]
    listed = client.post("/v1/escalations", json=[1, 2], headers=as_user(PSM))
    assert listed.status_code == 422
    assert "expected a JSON object" in listed.json()["detail"]
    assert queries.list_escalations(deps) == []


def test_a_document_naming_a_calendar_outside_the_calendar_root_is_refused(
    client: TestClient, deps: Deps
) -> None:
    document = case_json(GLOBEX)
    document["people"]["dana"]["calendar"] = "/etc/passwd"

    answer = client.post("/v1/escalations", json=document, headers=as_user(PSM))

    assert answer.status_code == 422
    assert answer.json()["field"] == "people.dana.calendar"
    assert queries.list_escalations(deps) == []


def test_opening_is_refused_to_a_user_whose_roles_do_not_allow_it(client: TestClient, deps: Deps) -> None:
    answer = client.post("/v1/escalations", json=case_json(GLOBEX), headers=as_user(NOBODY))

    assert answer.status_code == 403
    assert answer.headers["content-type"] == PROBLEM
    assert queries.list_escalations(deps) == []


def test_the_list_filters_by_state_and_customer(client: TestClient) -> None:
    client.post("/v1/escalations", json=case_json(GLOBEX), headers=as_user(PSM))
    client.post("/v1/escalations", json=case_json(FREEZE), headers=as_user(PSM))

    every = client.get("/v1/escalations", headers=as_user(PSM)).json()
    planned = client.get("/v1/escalations", params={"state": "planned"}, headers=as_user(PSM)).json()
    globex = client.get(
        "/v1/escalations", params={"customer": "globex-financial"}, headers=as_user(PSM)
    ).json()
    bad = client.get("/v1/escalations", params={"state": "dreaming"}, headers=as_user(PSM))

    assert [e["id"] for e in every] == [GLOBEX_ID, FREEZE_ID]
    assert [e["id"] for e in planned] == [GLOBEX_ID]  # the freeze escalated at once
    assert [e["id"] for e in globex] == [GLOBEX_ID]
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "query.state"


def test_a_changed_document_is_the_next_version_and_an_unchanged_one_only_plans_again(
    client: TestClient,
) -> None:
    opened = client.post("/v1/escalations", json=case_json(GLOBEX), headers=as_user(PSM))
    changed = case_json(GLOBEX)
    changed["escalation"]["readout"]["duration_minutes"] = 45

    stored = client.put(f"/v1/escalations/{GLOBEX_ID}/case", json=changed, headers=as_user(PSM))
    same = client.put(f"/v1/escalations/{GLOBEX_ID}/case", json=changed, headers=as_user(PSM))
    posted_again = client.post("/v1/escalations", json=changed, headers=as_user(PSM))

    assert stored.status_code == 200
    assert stored.json()["case_version"] == {
        "version": 2,
        "digest": stored.json()["case_version"]["digest"],
        "new": True,
    }
    assert stored.json()["case_version"]["digest"] != opened.json()["case_version"]["digest"]
    first = stored.json()["plan"]["candidates"][0]
    assert datetime.fromisoformat(first["end"]) - datetime.fromisoformat(first["start"]) == timedelta(
        minutes=45
    )
    assert same.json()["case_version"]["new"] is False
    assert same.json()["case_version"]["version"] == 2
    assert posted_again.status_code == 200  # already open: not created again
    other = case_json(FREEZE)
    wrong = client.put(f"/v1/escalations/{GLOBEX_ID}/case", json=other, headers=as_user(PSM))
    assert wrong.status_code == 409
    assert FREEZE_ID in wrong.json()["detail"]


def test_plan_again_reads_the_calendars_again(client: TestClient) -> None:
    client.post("/v1/escalations", json=case_json(GLOBEX), headers=as_user(PSM))

    answer = client.post(
        f"/v1/escalations/{GLOBEX_ID}/plan", json={"reason": "approval came"}, headers=as_user(PSM)
    )
    refused = client.post(f"/v1/escalations/{GLOBEX_ID}/plan", headers=as_user(DUTY))

    assert answer.status_code == 200
    assert answer.json()["plan"]["status"] == "ready"
    trail = client.get(f"/v1/escalations/{GLOBEX_ID}/audit", headers=as_user(PSM)).json()
    assert trail[-1]["payload"]["reason"] == "approval came"
    assert trail[-1]["actor"] == PSM
    assert refused.status_code == 403
