"""`readout worker` as an operator runs it, in child processes on a real store, with the outside world (hold
calendars, the leadership channel) recorded to a file by ``tests.support.fake_outside``:

* ``--once`` delivers what is due and reaps expired holds, one line saying so;
* a delivery that keeps failing is retried with backoff, then a dead letter ``readout status`` shows;
* a worker killed (SIGKILL) in the middle of delivering leaves a state the next ``--once`` completes, with
  nothing lost and nothing posted twice;
* two workers on one PostgreSQL store reap and deliver every effect exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from readout.adapters.sql import SqlUnitOfWork, create_engine_from_url
from readout.domain.channel import ChannelMessage, request_topic
from readout.domain.effects import EffectKind
from readout.services.effects import _add
from tests.support.db_fixtures import Store, postgres_url, sql_uow_factory  # noqa: F401
from tests.support.fake_outside import calls

ROOT = Path(__file__).resolve().parents[2]
ESC = "ESC-48213"
T0 = datetime.fromisoformat("2026-11-12T09:00:00-06:00")


def at(**later: float) -> str:
    return (T0 + timedelta(**later)).isoformat()


class Operator:
    """Runs `readout` (with the file-backed outside world) on one store, as separate processes."""

    def __init__(self, url: str, folder: Path) -> None:
        self.url, self.folder = url, folder
        self.env = {
            **os.environ,
            "READOUT_DATABASE_URL": url,
            "READOUT_CALENDAR_ROOT": str(ROOT / "examples"),
            "READOUT_FAKE_DIR": str(folder),
        }

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "tests.support.fake_outside", *args]

    def environ(self, **fake: str) -> dict[str, str]:
        return {**self.env, **{f"READOUT_FAKE_{k.upper()}": v for k, v in fake.items()}}

    def __call__(self, *args: str, expect: tuple[int, ...] = (0,), **fake: str) -> str:
        ran = subprocess.run(
            self.command(*args),
            cwd=ROOT,
            env=self.environ(**fake),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert ran.returncode in expect, f"{args}: exit {ran.returncode}\n{ran.stdout}\n{ran.stderr}"
        assert "Traceback" not in ran.stderr
        return ran.stdout

    def worker(self, now: str, expect: tuple[int, ...] = (0,), **fake: str) -> dict[str, Any]:
        out = self("worker", "--once", "--json", "--now", now, expect=expect, **fake)
        passed: dict[str, Any] = json.loads(out)
        return passed

    def status(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(self("status", ESC, "--json", "--now", at(days=2)))
        return found

    def effects(self) -> list[Any]:
        engine = create_engine_from_url(self.url)
        try:
            with SqlUnitOfWork(engine) as uow:
                return uow.effects.of(ESC)
        finally:
            engine.dispose()


@pytest.fixture
def desk(tmp_path: Path) -> Operator:
    """Globex opened on a fresh SQLite store by priya."""
    return _opened(f"sqlite:///{tmp_path / 'readout.db'}", tmp_path)


def _opened(url: str, folder: Path) -> Operator:
    desk = Operator(url, folder)
    desk("users", "import", str(ROOT / "examples" / "users.yaml"))
    desk("open", "examples/globex-sso-outage/case.yaml", "--as", "priya", "--now", at(), "--json")
    return desk


def _post_to_channel(desk: Operator, topics: int, escalation: str = ESC) -> list[str]:
    """Decide ``topics`` channel messages on ``escalation``, each with a reply in its thread and an update,
    as the exception commands do: written to the outbox, not sent. Their keys."""
    engine = create_engine_from_url(desk.url)
    keys = []
    try:
        with SqlUnitOfWork(engine) as uow:
            for n in range(101, 101 + topics):  # request ids no real request of these cases has
                topic = request_topic(escalation, n)
                text = ChannelMessage(f"{escalation}: exception request {n}").as_payload()
                first = {"topic": topic, "thread": None, "message": text}
                reply = {
                    "topic": topic,
                    "thread": topic,
                    "message": ChannelMessage("holds placed").as_payload(),
                }
                update = {"topic": topic, "message": ChannelMessage("approved").as_payload()}
                for key, kind, payload in (
                    (f"{topic}:post", EffectKind.CHANNEL_POST, first),
                    (f"{topic}:reply", EffectKind.CHANNEL_POST, reply),
                    (f"{topic}:update", EffectKind.CHANNEL_UPDATE, update),
                ):
                    _add(uow, escalation, kind, key, payload, T0)
                    keys.append(key)
            uow.commit()
    finally:
        engine.dispose()
    return keys


def test_worker_once_delivers_due_effects_and_reaps_expired_holds(desk: Operator) -> None:
    out = desk("hold", ESC, "--as", "dana", "--now", at(), expect=(4,), down="1")  # her calendar is down
    assert "not done yet" in out
    assert calls(desk.folder) == []

    placed = desk.worker(at(minutes=1))

    assert placed == {
        "at": "2026-11-12T15:01:00Z",
        "delivered": 3,
        "failed": 0,
        "retrying": 0,
        "reaped": 0,
        "dead_letters": [],
        "reminded": 0,
        "replanned": 0,
        "anchored": False,  # no READOUT_AUDIT_ANCHOR_FILE
    }
    assert [c["op"] for c in calls(desk.folder)] == ["place"] * 3
    line = desk("worker", "--once", "--now", at(minutes=2))  # the readable line: nothing left to do
    assert line == (
        "2026-11-12T15:02:00Z: delivered 0, failed 0 (dead letters), retrying 0, reaped 0, reminded 0, "
        "re-planned 0\n"
    )

    reaped = desk.worker(at(hours=24, minutes=1))  # every hold expired

    assert (reaped["delivered"], reaped["reaped"]) == (3, 3)
    assert [c["op"] for c in calls(desk.folder)] == ["place"] * 3 + ["release"] * 3
    status = desk.status()
    assert status["escalation"]["state"] == "planned"
    assert {h["status"] for h in status["holds"]} == {"expired"}


def test_a_failing_delivery_is_retried_with_backoff_then_a_dead_letter_status_shows(desk: Operator) -> None:
    desk("hold", ESC, "--as", "dana", "--now", at(), expect=(4,), down="1")  # attempt 1
    when = T0
    for attempt in range(2, 9):  # MAX_ATTEMPTS: 8
        pending = [e for e in desk.effects() if e.kind is EffectKind.PLACE_HOLD]
        next_at = min(e.next_at for e in pending)
        assert next_at - when == timedelta(seconds=30 * 2 ** (attempt - 2))  # 30 s, doubling
        when = next_at
        passed = desk.worker(when.isoformat(), expect=(4,), down="1")
        assert {e.attempts for e in desk.effects() if e.kind is EffectKind.PLACE_HOLD} == {attempt}

    assert (passed["failed"], passed["retrying"], passed["dead_letters"]) == (3, 0, [ESC])
    line = desk("worker", "--once", "--now", (when + timedelta(hours=2)).isoformat(), down="1")
    assert "failed 0 (dead letters)" in line  # given up: never tried again
    shown = desk.status()["effects"]
    assert [e["status"] for e in shown] == ["failed"] * 3
    assert all(
        "FAILED, not retried: a person must act: dana: does not answer" in e["sentence"] for e in shown
    )
    assert calls(desk.folder) == []


def test_a_worker_killed_while_posting_loses_nothing_and_posts_nothing_twice(desk: Operator) -> None:
    keys = _post_to_channel(desk, topics=2)
    # The first post reaches the channel, then the worker dies before the store hears of it.
    killed = subprocess.Popen(
        desk.command("worker", "--once", "--now", at(minutes=1)),
        cwd=ROOT,
        env=desk.environ(block="post:1"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(desk.folder / "blocked", killed)
    finally:
        killed.send_signal(signal.SIGKILL)
        killed.wait(30)
    assert [c["key"] for c in calls(desk.folder)] == [keys[0]]

    soon = desk.worker(at(minutes=2))  # its claim is still leased: the escalation's messages wait, in order
    assert soon["delivered"] == 0
    assert len(calls(desk.folder)) == 1

    after = desk.worker(at(minutes=4))  # the lease ran out: the next worker finishes the work

    assert (after["delivered"], after["failed"], after["retrying"]) == (6, 0, 0)
    made = calls(desk.folder)
    posts = [c["key"] for c in made if c["op"] == "post"]
    assert sorted(posts) == sorted(k for k in keys if not k.endswith(":update"))  # each exactly once
    assert [c["ref"] for c in made if c["op"] == "update"] == [
        "post:" + k for k in keys if k.endswith(":post")
    ]
    replies = [c for c in made if c["op"] == "post" and c["key"].endswith(":reply")]
    assert [c["thread"] for c in replies] == ["post:" + k for k in keys if k.endswith(":post")]
    assert {e.status.value for e in desk.effects()} == {"done"}


@pytest.mark.parametrize("sql_uow_factory", ["postgresql"], indirect=True)
def test_two_workers_on_postgresql_reap_and_deliver_each_effect_exactly_once(
    sql_uow_factory: Store,  # noqa: F811
    tmp_path: Path,
) -> None:
    assert sql_uow_factory.url is not None
    desk = _opened(sql_uow_factory.url, tmp_path)
    desk("open", "examples/cab-freeze-no-slot/case.yaml", "--as", "priya", "--now", at(), "--json")
    desk("hold", ESC, "--as", "dana", "--now", at())
    (tmp_path / "calls.jsonl").unlink()
    keys = _post_to_channel(desk, topics=3) + _post_to_channel(desk, topics=3, escalation="ESC-51007")
    later = at(hours=24, minutes=1)  # the three holds have expired

    racers = [
        subprocess.Popen(
            desk.command("worker", "--once", "--json", "--now", later),
            cwd=ROOT,
            env=desk.environ(delay="0.05"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    passes = []
    for racer in racers:
        out, err = racer.communicate(timeout=120)
        assert racer.returncode == 0, err
        passes.append(json.loads(out))
    # Whatever one skipped because the other held its escalation at that instant, a next pass finds.
    passes.append(desk.worker(at(hours=24, minutes=2)))

    made = calls(desk.folder)  # what reached the outside world during the race and after it
    posts = [c["key"] for c in made if c["op"] == "post"]
    assert len(posts) == len(set(posts))  # no message posted twice
    assert {k for k in keys if not k.endswith(":update")} <= set(posts)
    updated = [c["ref"] for c in made if c["op"] == "update"]
    assert len(updated) == len(set(updated))
    assert {"post:" + k.removesuffix(":update") + ":post" for k in keys if k.endswith(":update")} <= set(
        updated
    )
    releases = [c["uid"] for c in made if c["op"] == "release"]
    assert len(releases) == len(set(releases)) == 3  # each expired hold taken off once
    assert sum(p["reaped"] or 0 for p in passes) == 3  # reaped by one of them
    assert sum(p["delivered"] for p in passes) == len(made)  # each pass counted what it did, once
    with SqlUnitOfWork(sql_uow_factory.engine) as uow:  # type: ignore[arg-type]
        everything = uow.effects.of(ESC) + uow.effects.of("ESC-51007")
        expired = [e for e in uow.audit.entries(ESC) if e.kind == "hold_expired"]
    assert {e.status.value for e in everything} == {"done"}
    assert len(expired) == 3


def _wait_for(marker: Path, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    give_up = time.monotonic() + seconds
    while not marker.exists():
        assert process.poll() is None, f"the worker ended (exit {process.returncode}) before it was blocked"
        assert time.monotonic() < give_up, "the worker never reached the call it blocks in"
        time.sleep(0.05)


def test_make_serve_runs_one_worker_alongside_the_server_and_stops_it_with_the_server(tmp_path: Path) -> None:
    from tests.support.dav_servers import free_port

    env = {k: v for k, v in os.environ.items() if not k.startswith("READOUT_")}
    env["READOUT_DEMO_STORE"] = str(tmp_path / "serve.db")
    demo = subprocess.Popen(
        [sys.executable, "examples/serve_demo.py", "--port", str(free_port())],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = ""
    watchdog = threading.Timer(90, demo.kill)  # a demo that never says it started a worker fails, not hangs
    watchdog.start()
    try:
        assert demo.stdout is not None
        while "Worker:" not in output:
            line = demo.stdout.readline()
            assert line, f"serve_demo stopped: {output[-3000:]}"
            output += line
        pid = int(output.split("Worker:")[1].split("process ")[1].split(",")[0])
        log = tmp_path / "worker.log"
        give_up = time.monotonic() + 60
        while "delivered" not in (log.read_text() if log.exists() else ""):
            assert time.monotonic() < give_up, "the worker never reported a pass"
            time.sleep(0.2)
        assert (
            log.read_text().splitlines()[0].startswith("2026-11-12T15:00:00Z: delivered ")
        )  # the pinned clock
        os.kill(pid, 0)  # running beside the server
    finally:
        watchdog.cancel()
        demo.send_signal(signal.SIGINT)
        try:
            demo.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            demo.kill()
            demo.communicate()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # stopped with it
