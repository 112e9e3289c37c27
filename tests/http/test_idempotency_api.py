"""Idempotency-Key: a retried POST with the same key from the same user replays the stored answer and does
the effect once; the same key with another body is refused."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from readout.services.context import Deps
from tests.http.conftest import GLOBEX, GLOBEX_ID, as_user, case_json
from tests.services.flows import EM, PSM, Clock

BEST = "2026-11-17T18:00:00Z"


def _audit_count(client: TestClient) -> int:
    return len(client.get(f"/v1/escalations/{GLOBEX_ID}/audit", headers=as_user(PSM)).json())


def test_a_retried_hold_is_placed_once_and_answered_the_same(client: TestClient) -> None:
    client.post("/v1/escalations", json=case_json(GLOBEX), headers=as_user(PSM))
    key = {"Idempotency-Key": "hold-7f3a"}

    first = client.post(f"/v1/escalations/{GLOBEX_ID}/holds", json={"slot": BEST}, headers=as_user(EM, **key))
    entries = _audit_count(client)
    retried = client.post(
        f"/v1/escalations/{GLOBEX_ID}/holds", json={"slot": BEST}, headers=as_user(EM, **key)
    )

    assert first.status_code == retried.status_code == 200
    assert retried.json() == first.json()
    assert retried.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert _audit_count(client) == entries  # nothing done the second time
    unkeyed = client.post(f"/v1/escalations/{GLOBEX_ID}/holds", json={"slot": BEST}, headers=as_user(EM))
    assert unkeyed.status_code == 200
    assert unkeyed.json()["placed"] == []
    assert _audit_count(client) == entries + 1


def test_a_retried_confirmation_confirms_once(client: TestClient, clock: Clock) -> None:
    client.post("/v1/escalations", json=case_json(GLOBEX), headers=as_user(PSM))
    client.post(f"/v1/escalations/{GLOBEX_ID}/holds", headers=as_user(EM))
    digest = client.post(
        f"/v1/escalations/{GLOBEX_ID}/review", json={"slot": BEST}, headers=as_user(EM)
    ).json()["packet_digest"]
    key = {"Idempotency-Key": "confirm-1"}

    first = client.post(
        f"/v1/escalations/{GLOBEX_ID}/confirm", json={"packet_digest": digest}, headers=as_user(PSM, **key)
    )
    entries = _audit_count(client)
    clock.advance(minutes=1)
    retried = client.post(
        f"/v1/escalations/{GLOBEX_ID}/confirm", json={"packet_digest": digest}, headers=as_user(PSM, **key)
    )

    assert first.status_code == retried.status_code == 200
    assert retried.json() == first.json()
    assert _audit_count(client) == entries
    unkeyed = client.post(
        f"/v1/escalations/{GLOBEX_ID}/confirm", json={"packet_digest": digest}, headers=as_user(PSM)
    )
    assert unkeyed.status_code == 409  # confirming again without the key: the state refuses it


def test_the_same_key_with_another_body_is_refused_and_keys_are_per_user(client: TestClient) -> None:
    client.post("/v1/escalations", json=case_json(GLOBEX), headers=as_user(PSM))
    key = {"Idempotency-Key": "k-1"}
    client.post(f"/v1/escalations/{GLOBEX_ID}/holds", json={"slot": BEST}, headers=as_user(EM, **key))

    other = client.post(
        f"/v1/escalations/{GLOBEX_ID}/holds",
        json={"slot": "2026-11-17T17:45:00Z"},
        headers=as_user(EM, **key),
    )
    someone_else = client.post(
        f"/v1/escalations/{GLOBEX_ID}/holds",
        json={"slot": "2026-11-17T17:45:00Z"},
        headers=as_user(PSM, **key),
    )

    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    assert "another body" in other.json()["detail"]
    assert someone_else.status_code == 200
    assert len(someone_else.json()["placed"]) == 1


def test_a_refused_request_is_not_stored_under_its_key(client: TestClient) -> None:
    client.post("/v1/escalations", json=case_json(GLOBEX), headers=as_user(PSM))
    key = {"Idempotency-Key": "review-early"}
    body = {"slot": BEST}

    refused = client.post(f"/v1/escalations/{GLOBEX_ID}/review", json=body, headers=as_user(EM, **key))
    client.post(f"/v1/escalations/{GLOBEX_ID}/holds", headers=as_user(EM))
    retried = client.post(f"/v1/escalations/{GLOBEX_ID}/review", json=body, headers=as_user(EM, **key))

    assert refused.status_code == 409  # nothing held yet
    assert retried.status_code == 200
    assert "idempotent-replayed" not in retried.headers


def test_an_answer_is_replayed_for_a_day_then_forgotten(client: TestClient, deps: Deps) -> None:
    client.post("/v1/escalations", json=case_json(GLOBEX), headers=as_user(PSM))
    now = [datetime(2026, 12, 4, 9, 0, tzinfo=UTC)]
    client.app.state.deps = replace(deps, wall=lambda: now[0])  # type: ignore[attr-defined]
    plan = f"/v1/escalations/{GLOBEX_ID}/plan"

    def replan(key: str) -> bool:
        answer = client.post(plan, json={}, headers=as_user(PSM, **{"Idempotency-Key": key}))
        assert answer.status_code == 200
        return answer.headers.get("idempotent-replayed") == "true"

    assert not replan("plan-1")
    now[0] += timedelta(hours=23)
    assert replan("plan-1")
    now[0] += timedelta(hours=2)
    assert not replan("plan-2")  # a new key forgets the keys older than a day
    with deps.uow() as uow:
        assert uow.idempotency.get(PSM, "plan-1") is None
    assert not replan("plan-1")  # so the old key acts again
