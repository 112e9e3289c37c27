"""The workflow over HTTP, as the demo plays it: holds, review, confirm with the packet digest; the freeze
case's exception approved by the right role only; cancel; the audit trail shown, verified and exported."""

from __future__ import annotations

import csv
import io
import itertools

from fastapi.testclient import TestClient

from readout.services import auth
from readout.services.context import Deps
from tests.http.conftest import FREEZE, FREEZE_ID, GLOBEX, GLOBEX_ID, as_user, case_json
from tests.services.flows import DUTY, EM, LEAD, PSM, Clock, u

PROBLEM = "application/problem+json"
BEST = "2026-11-17T18:00:00Z"  # Globex's best slot
NEAR = "2026-11-24T11:00:00Z"  # the freeze's 12:00 Berlin near miss (needs a coverage waiver)


def _open_globex(client: TestClient) -> None:
    assert client.post("/v1/escalations", json=case_json(GLOBEX), headers=as_user(PSM)).status_code == 201


def test_holds_review_and_confirm_with_the_packet_digest(client: TestClient, clock: Clock) -> None:
    _open_globex(client)

    held = client.post(f"/v1/escalations/{GLOBEX_ID}/holds", headers=as_user(EM))
    assert held.status_code == 200
    assert held.json()["escalation"]["state"] == "held"
    starts = [h["start"] for h in held.json()["placed"]]
    assert len(starts) == 3
    assert BEST in starts

    clock.advance(hours=1)
    reviewed = client.post(f"/v1/escalations/{GLOBEX_ID}/review", json={"slot": BEST}, headers=as_user(EM))
    assert reviewed.status_code == 200
    digest = reviewed.json()["packet_digest"]
    roles = {a["role"] for a in reviewed.json()["packet"]["attendees"]}
    assert {"escalation_manager", "fix_owner", "interpreter"} <= roles

    wrong = client.post(
        f"/v1/escalations/{GLOBEX_ID}/confirm", json={"packet_digest": "0" * 12}, headers=as_user(PSM)
    )
    assert wrong.status_code == 409
    assert wrong.headers["content-type"] == PROBLEM

    clock.advance(minutes=5)
    confirmed = client.post(
        f"/v1/escalations/{GLOBEX_ID}/confirm", json={"packet_digest": digest[:12]}, headers=as_user(PSM)
    )
    assert confirmed.status_code == 200
    body = confirmed.json()
    assert body["confirmed"] is True
    assert body["escalation"]["confirmed_by"] == PSM
    assert body["escalation"]["review_slot"]["start"] == BEST
    status = client.get(f"/v1/escalations/{GLOBEX_ID}", headers=as_user(PSM)).json()
    assert status["state"] == "confirmed"
    assert [h["status"] for h in status["holds"] if h["start"] == BEST] == ["confirmed"]
    assert all(h["status"] == "released" for h in status["holds"] if h["start"] != BEST)


def test_a_single_slot_is_held_with_a_slot_body_and_holds_extend_and_release(client: TestClient) -> None:
    _open_globex(client)

    one = client.post(f"/v1/escalations/{GLOBEX_ID}/holds", json={"slot": BEST}, headers=as_user(EM))
    extended = client.post(
        f"/v1/escalations/{GLOBEX_ID}/holds/extend", json={"hours": 48}, headers=as_user(EM)
    )
    released = client.post(f"/v1/escalations/{GLOBEX_ID}/holds/release", headers=as_user(EM))

    assert [h["start"] for h in one.json()["placed"]] == [BEST]
    assert extended.json()["live"][0]["expires_at"] == "2026-11-14T15:00:00Z"  # now + 48 h
    assert released.status_code == 200
    assert released.json()["live"] == []
    naive = client.post(
        f"/v1/escalations/{GLOBEX_ID}/holds", json={"slot": "2026-11-17T18:00:00"}, headers=as_user(EM)
    )
    assert naive.status_code == 422
    assert naive.json()["errors"][0]["field"] == "body.slot"


def test_an_exception_approved_by_the_wrong_role_is_a_403_problem_and_the_right_role_approves(
    client: TestClient, clock: Clock
) -> None:
    clock.set(u(2026, 11, 23, 11))  # the freeze case file's now: 2026-11-23T12:00:00+01:00
    opened = client.post("/v1/escalations", json=case_json(FREEZE), headers=as_user(PSM))
    assert opened.json()["state"] == "exception_requested"
    assert opened.json()["exception_request"]["route"] == "waiver_approvers"
    path = f"/v1/escalations/{FREEZE_ID}/exceptions/approve"
    approval = {"slot": NEAR, "reason": "05:00 Chicago start approved; duty engineer joins early"}

    refused = client.post(path, json=approval, headers=as_user(EM))

    assert refused.status_code == 403
    assert refused.headers["content-type"] == PROBLEM
    assert refused.json()["detail"] == "Dmitri Escalations may not waive COVERAGE for this slot"
    assert client.get(f"/v1/escalations/{FREEZE_ID}", headers=as_user(EM)).json()["waivers"] == []

    approved = client.post(path, json=approval, headers=as_user(DUTY))
    assert approved.status_code == 200
    assert [(w["family"], w["start"], w["approved_by"]) for w in approved.json()["recorded"]] == [
        ("COVERAGE", NEAR, DUTY)
    ]
    held = client.post(f"/v1/escalations/{FREEZE_ID}/holds", headers=as_user(EM))
    assert [h["start"] for h in held.json()["placed"]] == [NEAR]


def test_an_exception_request_goes_to_leadership_who_rejects_it_and_cancel_ends_the_readout(
    client: TestClient,
) -> None:
    _open_globex(client)
    raised = client.post(
        f"/v1/escalations/{GLOBEX_ID}/exceptions",
        json={"reason": "replace the fix owner"},
        headers=as_user(EM),
    )
    assert raised.status_code == 201
    assert raised.json()["request"]["route"] == "support_leadership"
    empty = client.post(
        f"/v1/escalations/{GLOBEX_ID}/exceptions/reject", json={"reason": " "}, headers=as_user(LEAD)
    )
    assert empty.status_code == 422

    rejected = client.post(
        f"/v1/escalations/{GLOBEX_ID}/exceptions/reject", json={"reason": "keep Ravi"}, headers=as_user(LEAD)
    )
    assert rejected.status_code == 200
    assert rejected.json()["request"]["decision"] == "rejected"

    cancelled = client.post(
        f"/v1/escalations/{GLOBEX_ID}/cancel", json={"reason": "customer withdrew"}, headers=as_user(PSM)
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["escalation"]["state"] == "cancelled"
    again = client.post(f"/v1/escalations/{GLOBEX_ID}/holds", headers=as_user(EM))
    assert again.status_code == 409
    assert again.json()["state"] == "cancelled"


def test_the_audit_trail_is_shown_verified_and_exported(client: TestClient) -> None:
    _open_globex(client)
    client.post(f"/v1/escalations/{GLOBEX_ID}/holds", headers=as_user(EM))

    trail = client.get(f"/v1/escalations/{GLOBEX_ID}/audit", headers=as_user(PSM)).json()
    one = client.get(f"/v1/escalations/{GLOBEX_ID}/audit/verify", headers=as_user(PSM)).json()
    every = client.get("/v1/audit/verify", headers=as_user(PSM)).json()
    exported = client.get(
        f"/v1/escalations/{GLOBEX_ID}/audit/export", params={"format": "csv"}, headers=as_user(PSM)
    )

    assert [e["kind"] for e in trail][:2] == ["opened", "plan"]
    assert next(e["actor"] for e in trail) == PSM
    assert all(e["prev_hash"] == before["hash"] for before, e in itertools.pairwise(trail))
    assert one == {"intact": True, "chains": {GLOBEX_ID: []}}
    assert set(every["chains"]) == {GLOBEX_ID, "users"}
    assert every["chains"][GLOBEX_ID] == []
    assert every["intact"] is False  # the test seeded its users around the users chain: verify says so
    assert exported.headers["content-type"].startswith("text/csv")
    assert f'filename="audit-{GLOBEX_ID}.csv"' in exported.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0][:3] == ["escalation", "seq", "at"]
    assert len(rows) == len(trail) + 1


def test_every_entry_recorded_over_the_api_says_so(client: TestClient) -> None:
    _open_globex(client)
    client.post(f"/v1/escalations/{GLOBEX_ID}/holds", headers=as_user(EM))

    trail = client.get(f"/v1/escalations/{GLOBEX_ID}/audit", headers=as_user(PSM)).json()

    assert trail
    assert {e["payload"].get("via") for e in trail} == {"api"}  # never mistaken for a typed --as


def test_every_entry_names_the_credential_it_was_recorded_with(client: TestClient, deps: Deps) -> None:
    client.app.dependency_overrides.clear()  # type: ignore[attr-defined]  # real sign-in from here on
    client.base_url = "https://testserver"  # the session cookie is Secure
    token = auth.create_token(deps, PSM, "ticketing", frozenset({"read", "write"}), 30, PSM)
    bearer = {"Authorization": f"Bearer {token.text}"}
    opened = client.post("/v1/escalations", json=case_json(GLOBEX), headers=bearer)
    assert opened.status_code == 201
    auth.set_password(deps, EM, "correct horse battery staple", EM)
    signed_in = client.post("/v1/session", json={"user": EM, "password": "correct horse battery staple"})
    assert signed_in.status_code == 200
    assert client.post(f"/v1/escalations/{GLOBEX_ID}/holds").status_code == 200

    trail = client.get(f"/v1/escalations/{GLOBEX_ID}/audit", headers=bearer).json()
    by_actor = {(e["actor"], e["payload"].get("credential")) for e in trail}
    assert (PSM, f"token {token.token.id}") in by_actor
    held = [e for e in trail if e["actor"] == EM]
    assert held
    names = {e["payload"]["credential"] for e in held}
    assert len(names) == 1
    (name,) = names
    assert name.startswith("session ")
    assert len(name) == len("session ") + 12
    assert token.text not in str(trail)
