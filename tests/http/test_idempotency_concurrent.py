"""Idempotency-Key under concurrency: two requests with the same key at the same moment do the effect once;
the second replays the first's answer or is told the first is in progress (409, ``Retry-After``). A request
whose command failed gives its key up; a reservation left by a crashed process is taken over once expired.
On SQLite and PostgreSQL (the store's reservation methods also on the memory store)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi.testclient import TestClient

from readout.adapters.memory.hold_calendar import MemoryHoldCalendar
from readout.domain.holds import Hold
from readout.domain.invite import InvitePacket
from readout.entrypoints.http import idempotency
from readout.services.ports import StoredResponse
from tests.http.conftest import GLOBEX, GLOBEX_ID, as_user, case_json
from tests.services.flows import EM, PSM
from tests.support.db_fixtures import Store

BEST = "2026-11-17T18:00:00Z"
HOLDS = f"/v1/escalations/{GLOBEX_ID}/holds"
CONFIRM = f"/v1/escalations/{GLOBEX_ID}/confirm"
IN_PROGRESS = "idempotency-key-in-progress"


class GatedHoldCalendar(MemoryHoldCalendar):
    """The memory calendar, whose first place (or confirm) call, once ``armed``, waits for ``go``: the request
    making it is held in the middle of its command, its calendar call outside any transaction."""

    def __init__(self) -> None:
        super().__init__()
        self.armed = False
        self.entered = threading.Event()
        self.go = threading.Event()
        self.placed = 0
        self.confirms = 0

    def _gate(self) -> None:
        if self.armed and not self.entered.is_set():
            self.entered.set()
            assert self.go.wait(10), "the test never let the gated call go on"

    def place(self, hold: Hold, zone: ZoneInfo | None = None) -> str | None:
        self._gate()
        self.placed += 1
        return super().place(hold, zone)

    def confirm(self, hold: Hold, packet: InvitePacket) -> str | None:
        self._gate()
        self.confirms += 1
        return super().confirm(hold, packet)


@pytest.fixture
def hold_calendar() -> GatedHoldCalendar:
    return GatedHoldCalendar()


@pytest.fixture
def opened(client: TestClient) -> TestClient:
    assert client.post("/v1/escalations", json=case_json(GLOBEX), headers=as_user(PSM)).status_code == 201
    return client


@pytest.fixture
def reviewed(opened: TestClient) -> str:
    """Holds placed and the packet reviewed: the confirmation's body (with the packet digest)."""
    assert opened.post(HOLDS, headers=as_user(EM)).status_code == 200
    review = opened.post(f"/v1/escalations/{GLOBEX_ID}/review", json={"slot": BEST}, headers=as_user(EM))
    assert review.status_code == 200
    digest: str = review.json()["packet_digest"]
    return digest


def audit(client: TestClient) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = client.get(
        f"/v1/escalations/{GLOBEX_ID}/audit", headers=as_user(PSM)
    ).json()
    return entries


def kinds(client: TestClient) -> list[str]:
    return [entry["kind"] for entry in audit(client)]


def live_holds(client: TestClient) -> list[dict[str, Any]]:
    status = client.get(f"/v1/escalations/{GLOBEX_ID}", headers=as_user(EM)).json()
    return [h for h in status["holds"] if h["status"] == "live"]


def is_in_progress(answer: httpx.Response) -> bool:
    return (
        answer.status_code == 409
        and answer.headers["content-type"] == "application/problem+json"
        and answer.json()["type"].endswith(IN_PROGRESS)
        and int(answer.headers["retry-after"]) > 0
    )


@contextmanager
def gated(
    calendar: GatedHoldCalendar, post: Callable[[], httpx.Response]
) -> Iterator[Future[httpx.Response]]:
    """Start ``post`` in a thread and yield once its command is held at the calendar; let it go on after."""
    calendar.armed = True
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(post)
        assert calendar.entered.wait(10), "the first request never reached the calendar"
        try:
            yield first
        finally:
            calendar.go.set()


@pytest.fixture
def fast_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(idempotency, "WAIT", timedelta(seconds=0.2))


@pytest.mark.usefixtures("fast_wait")
def test_a_retry_while_the_hold_runs_is_told_to_retry_then_replays_and_holds_are_placed_once(
    opened: TestClient, hold_calendar: GatedHoldCalendar
) -> None:
    key = {"Idempotency-Key": "hold-1"}

    def post() -> httpx.Response:
        return opened.post(HOLDS, headers=as_user(EM, **key))

    with gated(hold_calendar, post) as first:
        retried = post()
        assert is_in_progress(retried), retried.text
        assert "a request with this Idempotency-Key" in retried.json()["detail"]
        other_body = opened.post(HOLDS, json={"slot": BEST}, headers=as_user(EM, **key))
        assert other_body.status_code == 422
        assert other_body.json()["type"].endswith("idempotency-key-reused")
    answered = first.result(10)
    replayed = post()

    assert answered.status_code == 200
    assert len(answered.json()["placed"]) == 3
    assert replayed.status_code == 200
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json() == answered.json()
    assert hold_calendar.placed == 3  # three holds on the calendar, placed once
    assert len(live_holds(opened)) == 3


def test_a_retry_while_the_hold_runs_waits_for_its_answer_and_replays_it(
    opened: TestClient, hold_calendar: GatedHoldCalendar, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(idempotency, "WAIT", timedelta(seconds=5))  # room for a slow machine
    key = {"Idempotency-Key": "hold-2"}

    def post() -> httpx.Response:
        return opened.post(HOLDS, headers=as_user(EM, **key))

    with ThreadPoolExecutor(max_workers=1) as pool, gated(hold_calendar, post) as first:
        retried = pool.submit(post)  # waits (up to WAIT) for the first's answer
        threading.Timer(0.2, hold_calendar.go.set).start()
        answered, replayed = first.result(10), retried.result(10)

    assert answered.status_code == replayed.status_code == 200
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json() == answered.json()
    assert hold_calendar.placed == 3


@pytest.mark.usefixtures("fast_wait")
def test_a_retry_while_the_confirmation_runs_is_told_to_retry_and_it_confirms_once(
    opened: TestClient, reviewed: str, hold_calendar: GatedHoldCalendar
) -> None:
    key = {"Idempotency-Key": "confirm-1"}

    def post() -> httpx.Response:
        return opened.post(CONFIRM, json={"packet_digest": reviewed}, headers=as_user(PSM, **key))

    with gated(hold_calendar, post) as first:
        retried = post()
        assert is_in_progress(retried), retried.text
    answered = first.result(10)
    replayed = post()

    assert answered.status_code == 200
    assert replayed.status_code == 200
    assert replayed.json() == answered.json()
    assert hold_calendar.confirms == 1
    assert kinds(opened).count("confirm") == 1


@pytest.mark.parametrize("command", ["holds", "confirm"])
def test_two_requests_with_the_same_key_at_once_act_once(
    opened: TestClient, hold_calendar: GatedHoldCalendar, command: str, request: pytest.FixtureRequest
) -> None:
    """No gate: both threads post at the same instant; one acts, the other replays it or is told to retry."""
    body: dict[str, Any] = {}
    user = EM
    if command == "confirm":
        body, user = {"packet_digest": request.getfixturevalue("reviewed")}, PSM
    path = HOLDS if command == "holds" else CONFIRM
    before = kinds(opened)
    placed, confirms = hold_calendar.placed, hold_calendar.confirms
    start = threading.Barrier(2)

    def post(_: int) -> httpx.Response:
        start.wait(10)
        return opened.post(path, json=body, headers=as_user(user, **{"Idempotency-Key": f"race-{command}"}))

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(post, range(2)))

    acted = [a for a in answers if a.status_code == 200 and "idempotent-replayed" not in a.headers]
    others = [a for a in answers if a not in acted]
    assert len(acted) == 1, [a.text for a in answers]
    assert len(others) == 1
    other = others[0]
    assert is_in_progress(other) or (
        other.status_code == 200
        and other.headers["idempotent-replayed"] == "true"
        and other.json() == acted[0].json()
    ), other.text
    after = kinds(opened)
    assert after[: len(before)] == before
    assert after[len(before) :].count("hold" if command == "holds" else "confirm") == 1  # one audited action
    if command == "holds":
        assert hold_calendar.placed - placed == 3
        assert len(live_holds(opened)) == 3
    else:
        assert hold_calendar.confirms - confirms == 1


@pytest.mark.usefixtures("fast_wait")
def test_an_expired_reservation_is_taken_over_and_a_fresh_one_is_not(
    opened: TestClient, store: Store
) -> None:
    """A process that reserved a key and died leaves the key in progress until the reservation expires."""

    def reserve(key: str, at: datetime) -> None:
        path = HOLDS
        digest = idempotency._digest("POST", path, b"")
        reservation = StoredResponse(EM, key, "POST", path, digest, StoredResponse.IN_PROGRESS, {}, at)
        with store() as uow:
            assert uow.idempotency.put(reservation)
            uow.commit()

    now = datetime.now(UTC)
    reserve("crashed", now - idempotency.RESERVATION_TTL - timedelta(seconds=1))
    reserve("running", now)

    running = opened.post(HOLDS, headers=as_user(EM, **{"Idempotency-Key": "running"}))
    taken = opened.post(HOLDS, headers=as_user(EM, **{"Idempotency-Key": "crashed"}))
    replayed = opened.post(HOLDS, headers=as_user(EM, **{"Idempotency-Key": "crashed"}))

    assert is_in_progress(running)
    assert taken.status_code == 200
    assert "idempotent-replayed" not in taken.headers
    assert len(taken.json()["placed"]) == 3
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json() == taken.json()
    with store() as uow:
        stored = uow.idempotency.get(EM, "crashed")
    assert stored is not None
    assert (stored.status, stored.in_progress) == (200, False)


def test_a_failed_command_gives_its_key_up(opened: TestClient, store: Store) -> None:
    key = {"Idempotency-Key": "too-early"}
    early = opened.post(
        f"/v1/escalations/{GLOBEX_ID}/review", json={"slot": BEST}, headers=as_user(EM, **key)
    )
    missing = opened.post(
        "/v1/escalations/ESC-404/holds", headers=as_user(EM, **{"Idempotency-Key": "nowhere"})
    )

    assert early.status_code == 409  # nothing held yet: refused, nothing done
    assert missing.status_code == 404
    with store() as uow:
        assert uow.idempotency.get(EM, "too-early") is None
        assert uow.idempotency.get(EM, "nowhere") is None


def test_reservations_are_completed_removed_and_taken_over_only_by_their_instant(uow_factory: Store) -> None:
    at = datetime(2026, 12, 4, 9, 0, 0, 123456, tzinfo=UTC)
    mine = StoredResponse("paula", "k", "POST", "/v1/x", "d" * 64, StoredResponse.IN_PROGRESS, {}, at)
    with uow_factory() as uow:
        assert uow.idempotency.put(mine)
        uow.commit()
    later = StoredResponse(
        **{**mine.__dict__, "created_at": at + timedelta(minutes=6), "request_digest": "e"}
    )
    with uow_factory() as uow:
        assert uow.idempotency.take_over(mine, later)
        assert not uow.idempotency.take_over(mine, later)  # no longer the reservation made at ``at``
        uow.commit()
    with uow_factory() as uow:
        assert not uow.idempotency.complete(StoredResponse(**{**mine.__dict__, "status": 200}))
        uow.idempotency.remove(mine)  # the old request's removal: nothing
        uow.commit()
    with uow_factory() as uow:
        assert uow.idempotency.get("paula", "k") == later
        assert uow.idempotency.complete(StoredResponse(**{**later.__dict__, "status": 201, "body": {"n": 1}}))
        uow.commit()
    with uow_factory() as uow:
        done = uow.idempotency.get("paula", "k")
        assert done is not None
        assert (done.status, done.body, done.in_progress) == (201, {"n": 1}, False)
        assert done.request_digest == "e"
        uow.idempotency.remove(done)  # an answer is never removed as a reservation
        assert not uow.idempotency.take_over(done, later)
        uow.commit()
    with uow_factory() as uow:
        assert uow.idempotency.get("paula", "k") == done
        other = StoredResponse(**{**mine.__dict__, "key": "k2"})
        assert uow.idempotency.put(other)
        uow.idempotency.remove(other)
        assert uow.idempotency.get("paula", "k2") is None
