"""Twenty hold requests on one escalation at the same time leave exactly the holds the case's policy asks for
(``holds.count``: 3), each answered with a documented status, on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient

from tests.http.conftest import GLOBEX, GLOBEX_ID, as_user, case_json
from tests.services.flows import EM, PSM


def test_twenty_concurrent_hold_requests_leave_exactly_the_policys_holds(client: TestClient) -> None:
    assert client.post("/v1/escalations", json=case_json(GLOBEX), headers=as_user(PSM)).status_code == 201

    def hold(_: int) -> int:
        return client.post(f"/v1/escalations/{GLOBEX_ID}/holds", headers=as_user(EM)).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(hold, range(20)))

    assert 200 in statuses
    assert set(statuses) <= {200, 409, 503}  # done, or changed by another at the same moment / store busy
    status = client.get(f"/v1/escalations/{GLOBEX_ID}", headers=as_user(EM)).json()
    live = [h for h in status["holds"] if h["status"] == "live"]
    assert len(live) == 3
    assert len({h["start"] for h in live}) == 3
    verified = client.get(f"/v1/escalations/{GLOBEX_ID}/audit/verify", headers=as_user(EM)).json()
    assert verified["intact"] is True
