"""ETag and If-Match: a client that read an older version of an escalation cannot change it (412), and
nothing is changed; the current tag (or none) goes through."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.http.conftest import GLOBEX, GLOBEX_ID, as_user, case_json
from tests.services.flows import EM, PSM

BEST = "2026-11-17T18:00:00Z"


def _status(client: TestClient) -> tuple[str, dict[str, object]]:
    answer = client.get(f"/v1/escalations/{GLOBEX_ID}", headers=as_user(PSM))
    return answer.headers["etag"], answer.json()


def test_a_stale_if_match_is_412_and_changes_nothing(client: TestClient) -> None:
    client.post("/v1/escalations", json=case_json(GLOBEX), headers=as_user(PSM))
    read_before, _ = _status(client)
    held = client.post(f"/v1/escalations/{GLOBEX_ID}/holds", headers=as_user(EM, **{"If-Match": read_before}))
    assert held.status_code == 200
    assert held.headers["etag"] != read_before
    tag, before = _status(client)
    assert held.headers["etag"] == tag

    stale = client.post(
        f"/v1/escalations/{GLOBEX_ID}/review",
        json={"slot": BEST},
        headers=as_user(EM, **{"If-Match": read_before}),
    )

    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    assert stale.json()["etag"] == tag
    assert _status(client) == (tag, before)  # not reviewed, not audited
    fresh = client.post(
        f"/v1/escalations/{GLOBEX_ID}/review", json={"slot": BEST}, headers=as_user(EM, **{"If-Match": tag})
    )
    assert fresh.status_code == 200
    assert fresh.json()["escalation"]["state"] == "awaiting_confirmation"


def test_a_stale_if_match_keeps_a_new_case_version_from_overwriting_a_newer_one(client: TestClient) -> None:
    client.post("/v1/escalations", json=case_json(GLOBEX), headers=as_user(PSM))
    read_before, _ = _status(client)
    newer = case_json(GLOBEX)
    newer["escalation"]["readout"]["duration_minutes"] = 45
    client.put(f"/v1/escalations/{GLOBEX_ID}/case", json=newer, headers=as_user(PSM))
    older = case_json(GLOBEX)
    older["escalation"]["readout"]["duration_minutes"] = 90

    stale = client.put(
        f"/v1/escalations/{GLOBEX_ID}/case", json=older, headers=as_user(PSM, **{"If-Match": read_before})
    )

    assert stale.status_code == 412
    _, now = _status(client)
    assert now["case_version"] == 2
    weak = client.put(
        f"/v1/escalations/{GLOBEX_ID}/case",
        json=older,
        headers=as_user(PSM, **{"If-Match": f"W/{_status(client)[0]}"}),
    )
    assert weak.status_code == 412  # If-Match compares strongly: a weak tag never matches
