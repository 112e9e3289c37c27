"""The metrics (readout/observability.py, docs/metrics.md) after real actions through the services: the
store-derived gauges on memory, SQLite and PostgreSQL, and the process-local counters (read as differences,
since they are shared by every test in this process)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from readout import observability
from readout.adapters.casefile.loader import load_case
from readout.adapters.http.outbound import REFUSED
from readout.adapters.http.replies import failure_reason
from readout.adapters.memory.channel import MemoryChannel
from readout.adapters.slack import SlackChannel
from readout.config import SlackSettings
from readout.domain.intervals import Interval
from readout.domain.sources import CalendarSource, RemoteSource
from readout.errors import Conflict, ReadoutError, SourceUnavailable, StoreUnavailable
from readout.observability import (
    MULTIPROCESS_DIR,
    calendar_failure_kind,
    exposition,
    metrics_served,
    registry_for,
    serve_metrics,
)
from readout.services import worker
from readout.services.effects import LEASE, carry_out
from readout.services.holding import hold_slots, reap
from readout.services.planning import plan_case
from readout.services.ports import UnitOfWork
from tests.services.flows import EM, FREEZE, FREEZE_ID, GLOBEX, GLOBEX_ID, Desk
from tests.support.fake_slack import fake_slack

ROOT = Path(__file__).resolve().parents[2]

ALLOWED_LABEL_VALUES = {
    *observability.PLAN_STATUSES,
    *observability.CALENDAR_FAILURE_KINDS,
    *observability.CALENDAR_ROLES,
    *observability.CHANNEL_ERROR_KINDS,
    *observability.EFFECT_KINDS,
    *observability.EFFECT_OUTCOMES,
    *observability.ESCALATION_STATES,
    "ok",
    "failed",
}

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(registry: CollectorRegistry) -> Samples:
    """Every sample of the exposition, parsed back with prometheus_client's own parser."""
    text = exposition(registry).decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


@pytest.fixture
def announced(desk: Desk) -> Desk:
    """The desk with a leadership channel (opening the freeze writes a post for it)."""
    desk.deps = replace(desk.deps, channel=MemoryChannel())
    return desk


def test_store_gauges_follow_escalations_holds_the_outbox_and_the_reaper(announced: Desk) -> None:
    desk = announced
    registry = registry_for(lambda: desk.deps)
    empty = scrape(registry)
    assert value(empty, "readout_store_up") == 1
    assert value(empty, "readout_escalations", state="planned") == 0
    assert value(empty, "readout_outbox_depth") == 0

    desk.open(GLOBEX)
    desk.open(FREEZE)  # needs an exception: its request is written for the channel, posted by the runner
    opened = scrape(registry)
    states = Counter(desk.escalation(e).state.value for e in (GLOBEX_ID, FREEZE_ID))
    assert sum(states.values()) == 2
    for state, count in states.items():
        assert value(opened, "readout_escalations", state=state) == count
    assert value(opened, "readout_escalations", state="confirmed") == 0
    assert value(opened, "readout_outbox_depth") == 1  # the request's post, not carried out yet
    assert value(opened, "readout_outbox_oldest_due_age_seconds") == 0  # due since this very instant

    desk.clock.advance(seconds=90)
    waited = scrape(registry)
    assert value(waited, "readout_outbox_oldest_due_age_seconds") == pytest.approx(90)

    hold_slots(desk.deps, GLOBEX_ID, EM)
    live = desk.live_holds(GLOBEX_ID)
    assert live
    held = scrape(registry)
    assert value(held, "readout_live_holds") == len(live)
    assert value(held, "readout_escalations", state="held") == 1
    assert value(held, "readout_reaper_lag_seconds") == 0

    expiry = min(h.expires_at for h in live)
    desk.clock.set(expiry + timedelta(minutes=10))  # past expiry; nobody has reaped yet
    overdue = scrape(registry)
    assert value(overdue, "readout_live_holds") == 0  # no longer live, though not released yet
    assert value(overdue, "readout_reaper_lag_seconds") == pytest.approx(600)

    reap(desk.deps)
    reaped = scrape(registry)
    assert value(reaped, "readout_reaper_lag_seconds") == 0
    assert value(reaped, "readout_live_holds") == 0


def test_an_effect_being_carried_out_is_due_again_only_once_its_lease_ran_out(announced: Desk) -> None:
    desk = announced
    registry = registry_for(lambda: desk.deps)
    desk.open(FREEZE)  # one post for the channel, due now
    with desk.deps.uow() as uow:
        (post,) = [e for e in uow.effects.of(FREEZE_ID) if e.open]
        uow.effects.update(post.claimed(desk.clock(), LEASE))  # a runner took it and has not settled it
        uow.commit()
    desk.clock.advance(seconds=30)
    claimed = scrape(registry)
    assert value(claimed, "readout_outbox_depth") == 1
    assert value(claimed, "readout_outbox_oldest_due_age_seconds") == 0  # being carried out, not late

    desk.clock.advance(seconds=LEASE.total_seconds() - 30 + 45)  # the lease ran out 45 s ago
    stale = scrape(registry)
    assert value(stale, "readout_outbox_oldest_due_age_seconds") == pytest.approx(45)


def test_a_refused_channel_post_is_a_dead_letter_and_a_rejected_channel_error(announced: Desk) -> None:
    desk = announced
    registry = registry_for(lambda: desk.deps)
    desk.open(FREEZE)
    before = scrape(registry)
    assert isinstance(desk.deps.channel, MemoryChannel)
    desk.deps.channel.fail_with = Conflict("channel_not_found")

    carry_out(desk.deps, FREEZE_ID)

    after = scrape(registry)
    assert value(after, "readout_dead_letters") == 1
    assert value(after, "readout_outbox_depth") == 0
    errors = "readout_channel_errors_total"
    assert value(after, errors, kind="rejected") - value(before, errors, kind="rejected") == 1
    settled = "readout_effects_settled_total"
    failed = {"kind": "channel_post", "outcome": "failed"}
    assert value(after, settled, **failed) - value(before, settled, **failed) == 1


def test_a_channel_429_counts_a_rate_limited_error_then_the_retry_a_delivery(desk: Desk) -> None:
    registry = registry_for(lambda: desk.deps)
    for slack in fake_slack():
        settings = SlackSettings(slack.url, slack.token, "signing-secret", slack.channel)
        desk.deps = replace(desk.deps, channel=SlackChannel(settings, timeout=2))
        desk.open(FREEZE)
        slack.fail_next(1, 429, retry_after=42)
        before = scrape(registry)

        carry_out(desk.deps, FREEZE_ID)
        limited = scrape(registry)
        desk.clock.advance(seconds=60)
        carry_out(desk.deps, FREEZE_ID)
        posted = scrape(registry)

        errors, settled = "readout_channel_errors_total", "readout_effects_settled_total"
        rate_limited = value(limited, errors, kind="rate_limited") - value(
            before, errors, kind="rate_limited"
        )
        assert rate_limited == 1
        retrying = {"kind": "channel_post", "outcome": "retrying"}
        assert value(limited, settled, **retrying) - value(before, settled, **retrying) == 1
        assert value(limited, "readout_outbox_depth") == 1
        delivered = {"kind": "channel_post", "outcome": "delivered"}
        assert value(posted, settled, **delivered) - value(limited, settled, **delivered) == 1
        assert value(posted, errors, kind="rate_limited") == value(limited, errors, kind="rate_limited")
        assert value(posted, "readout_outbox_depth") == 0
        assert len(slack.top_level()) == 1


def test_plan_durations_are_counted_by_the_plans_status(desk: Desk) -> None:
    registry = registry_for(lambda: desk.deps)
    count = "readout_plan_duration_seconds_count"
    before = scrape(registry)
    desk.open(GLOBEX)  # ready
    desk.open(FREEZE)  # needs an exception
    after = scrape(registry)
    for status in ("ready", "needs_exception"):
        assert value(after, count, status=status) - value(before, count, status=status) >= 1
    took = value(after, "readout_plan_duration_seconds_sum", status="ready") - value(
        before, "readout_plan_duration_seconds_sum", status="ready"
    )
    assert 0 < took < 5
    buckets = {dict(labels)["le"] for name, labels in after if name == "readout_plan_duration_seconds_bucket"}
    assert {"0.001", "5.0", "+Inf"} <= buckets


class _FailingReader:
    """Local files as they are; each remote calendar fails the way the script says for its file name."""

    def __init__(self, inner: object, script: dict[str, str]) -> None:
        self.inner, self.script = inner, script

    def _remote(self, source: CalendarSource) -> tuple[Interval, ...]:
        assert isinstance(source, RemoteSource)
        action = self.script[source.url.rsplit("/", 1)[-1]]
        if action == "hang":
            time.sleep(3)
            return ()
        raise SourceUnavailable(source.shown, action)

    def busy(self, source: CalendarSource, **options: object) -> tuple[Interval, ...]:
        if isinstance(source, RemoteSource):
            return self._remote(source)
        return self.inner.busy(source, **options)  # type: ignore[attr-defined, no-any-return]

    def blackouts(self, source: CalendarSource, *, window: Interval, zone: ZoneInfo) -> tuple[Interval, ...]:
        return self.inner.blackouts(source, window=window, zone=zone)  # type: ignore[attr-defined, no-any-return]

    def fingerprint(self, source: CalendarSource) -> str | None:
        return None


def test_failing_calendars_are_counted_by_kind_never_by_url_or_person(desk: Desk) -> None:
    registry = registry_for(lambda: desk.deps)
    loaded = load_case(desk.copy(GLOBEX))
    people = list(loaded.calendars)
    script = {"a.ics": "connection refused", "b.ics": "HTTP 503 Service Unavailable", "c.ics": "hang"}
    calendars = {
        **loaded.calendars,
        people[0]: RemoteSource("https://user:secret@dav.example/a.ics"),
        people[1]: RemoteSource("https://dav.example/b.ics"),
        people[2]: RemoteSource("https://dav.example/c.ics"),
    }
    loaded = replace(loaded, calendars=calendars)
    before = scrape(registry)

    planned = plan_case(loaded, _FailingReader(desk.deps.reader, script), desk.clock(), source_timeout=0.2)

    after = scrape(registry)
    assert len(planned.plan.unknown) >= 3  # their owners are unknown, never free
    name = "readout_calendar_read_failures_total"
    for kind in ("unreachable", "http_error", "timeout"):
        assert (
            value(after, name, kind=kind, calendar="person")
            - value(before, name, kind=kind, calendar="person")
            == 1
        )
    text = exposition(registry).decode()
    assert "dav.example" not in text
    assert "secret" not in text
    values = {v for _, labels in after for k, v in labels if k != "le"}
    assert values <= ALLOWED_LABEL_VALUES
    assert not values & set(people)


@pytest.mark.parametrize(
    ("detail", "kind"),
    [
        (failure_reason(httpx.ConnectTimeout("x"), 5), "timeout"),
        (failure_reason(httpx.ConnectError("x"), 5), "unreachable"),
        (REFUSED, "refused"),
        ("feed larger than 5000000 bytes; refused", "too_large"),
        ("HTTP 401 Unauthorized (no credentials configured for this calendar)", "denied"),
        ("report: HTTP 500 Internal Server Error", "http_error"),
        ("not a valid iCalendar feed: line 3: no END:VCALENDAR", "malformed"),
        (failure_reason(httpx.RemoteProtocolError("x"), 5), "malformed"),
        ("not a valid http, https or webcal URL", "unsupported"),
        ("https://dav.example/x: no answer within 21s", "timeout"),
        ("something new", "other"),
    ],
)
def test_the_adapters_failure_words_map_to_a_fixed_kind(detail: str, kind: str) -> None:
    assert calendar_failure_kind(detail) == kind


def test_a_worker_serves_its_metrics_on_loopback_and_counts_its_passes(announced: Desk) -> None:
    served = serve_metrics(announced.deps, 0)
    try:
        assert served.host == "127.0.0.1"
        before = _get(served.port)
        announced.open(FREEZE)
        worker.run(announced.deps, lambda done: None, rounds=1, sleep=lambda s: None)
        after = _get(served.port)
    finally:
        served.stop()
    passes = "readout_worker_passes_total"
    assert value(after, passes, outcome="ok") - value(before, passes, outcome="ok") == 1
    delivered = {"kind": "channel_post", "outcome": "delivered"}
    settled = "readout_effects_settled_total"
    assert value(after, settled, **delivered) - value(before, settled, **delivered) == 1
    assert value(after, "readout_escalations", state=announced.escalation(FREEZE_ID).state.value) == 1
    with announced.deps.uow() as uow:  # what the pass wrote for its next pass (a reminder), not yet out
        still_open = [e for e in uow.effects.of(FREEZE_ID) if e.open]
    assert value(after, "readout_outbox_depth") == len(still_open)


def test_the_worker_metrics_serve_only_while_the_worker_runs_and_a_taken_port_is_one_line(
    announced: Desk,
) -> None:
    with metrics_served(announced.deps, None) as nothing:
        assert nothing is None
    with metrics_served(announced.deps, 0) as served:
        assert served is not None
        assert value(_get(served.port), "readout_store_up") == 1
        with pytest.raises(
            ReadoutError, match=rf"--metrics-port: cannot serve metrics on 127.0.0.1:{served.port}"
        ):
            serve_metrics(announced.deps, served.port)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{served.port}/metrics", timeout=2)


def _get(port: int) -> Samples:
    answer = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
    assert answer.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


_RECORD = """
from readout.observability import channel_failed, plan_timed
channel_failed("rate_limited")
plan_timed("ready", 0.02)
"""


def test_in_multiprocess_mode_the_counters_of_every_process_add_up(
    announced: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "prometheus"
    folder.mkdir()
    environ = {**os.environ, MULTIPROCESS_DIR: str(folder)}
    for _ in range(2):  # two processes, as two uvicorn workers would be
        subprocess.run([sys.executable, "-c", _RECORD], env=environ, check=True, timeout=60)
    monkeypatch.setenv(MULTIPROCESS_DIR, str(folder))
    registry = registry_for(lambda: announced.deps)  # the app's registry, made in multiprocess mode
    announced.open(GLOBEX)

    samples = scrape(registry)

    assert value(samples, "readout_channel_errors_total", kind="rate_limited") == 2
    assert value(samples, "readout_plan_duration_seconds_count", status="ready") == 2  # theirs, not ours
    assert value(samples, "readout_escalations", state=announced.escalation(GLOBEX_ID).state.value) == 1


def test_a_store_that_cannot_be_read_says_so_in_one_gauge(announced: Desk) -> None:
    def unavailable() -> UnitOfWork:
        raise StoreUnavailable("sqlite:///gone.db", "unable to open database file")

    registry = registry_for(lambda: replace(announced.deps, uow=unavailable, view=None))
    samples = scrape(registry)
    assert value(samples, "readout_store_up") == 0
    assert not any(name == "readout_outbox_depth" for name, _ in samples)
    assert value(samples, "readout_plan_duration_seconds_count", status="ready") >= 0  # the rest is served
