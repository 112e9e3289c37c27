"""Metrics (docs/metrics.md): what this process measured, and what the store holds, for Prometheus.

Two kinds, kept apart:

* **Process-local** counters and a histogram, created once at import on this module's own registry
  (``PROCESS``, never prometheus_client's global one): plan durations, calendar read failures, leadership
  channel errors, effects settled, worker passes. Services record them through the small functions below
  (``plan_timed``, ``calendar_read_failed``, ``channel_failed``, ``effect_settled``, ``worker_passed``),
  which take plain values: no service signature names a prometheus type, and the domain knows nothing of
  metrics. Every label value comes from
  a small fixed set (a value outside it is folded into one of the set): never a URL, a person, an
  escalation or a message.
* **Store-derived** gauges, computed at scrape time by ``StoreCollector`` in one short read-only unit of
  work (escalations by state, live holds, outbox depth and oldest due age, dead letters, reaper lag). Every
  instance reports the same database truth: aggregate them with ``max`` across instances, never ``sum``.

Several processes (``readout serve --workers N``): each process counts its own. With the environment variable
``PROMETHEUS_MULTIPROC_DIR`` set (before start, to an emptied directory) prometheus_client writes every
process's counters to files there and ``/metrics`` adds them up (``registry_for``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest

from readout.domain.lifecycle import State

if TYPE_CHECKING:
    from readout.services.context import Deps
    from readout.services.ports import UnitOfWork

__all__ = [
    "CALENDAR_FAILURE_KINDS",
    "CHANNEL_ERROR_KINDS",
    "MULTIPROCESS_DIR",
    "PROCESS",
    "MetricsServer",
    "StoreCollector",
    "StoreGauges",
    "calendar_failure_kind",
    "calendar_read_failed",
    "channel_failed",
    "effect_settled",
    "exposition",
    "metrics_served",
    "plan_timed",
    "serve_metrics",
    "store_gauges",
    "worker_passed",
]

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's own variable (multiprocess mode)
_MAX_NOTE = " Aggregate with max across instances: every instance reports the same database truth."

PROCESS = CollectorRegistry(auto_describe=True)

# Plan durations, the calendar reads included: 1 ms (a case without remote calendars) to 5 s (a slow source).
PLAN_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
PLAN_STATUSES = ("ready", "needs_exception", "not_ready")
CALENDAR_ROLES = ("person", "interpreter", "blackout")
CALENDAR_FAILURE_KINDS = (
    "timeout",  # no answer in time (the adapter's timeout, or gathering's safety wait)
    "unreachable",  # name not resolved, connection refused, could not connect
    "tls",  # certificate not verified, handshake failed
    "too_large",  # the body was larger than allowed
    "malformed",  # not iCalendar, not a multistatus, a garbled or undecodable reply
    "denied",  # HTTP 401 or 403
    "http_error",  # any other HTTP status
    "refused",  # the outbound policy refused the address (READOUT_OUTBOUND_ALLOW)
    "unsupported",  # not a URL Readout reads (scheme, a local file where a remote one was expected)
    "other",
)
CHANNEL_ERROR_KINDS = ("rate_limited", "unavailable", "rejected")
EFFECT_KINDS = (
    "place_hold",
    "release_hold",
    "confirm_hold",
    "send_invitation",
    "channel_post",
    "channel_update",
    "notify_email",
)
EFFECT_OUTCOMES = ("delivered", "retrying", "failed", "refused")

PLAN_SECONDS = Histogram(
    "readout_plan_duration_seconds",
    "Time to plan one case (calendar reads and the planner), by the plan's status. Process-local.",
    ["status"],
    buckets=PLAN_BUCKETS,
    registry=PROCESS,
)
CALENDAR_FAILURES = Counter(
    "readout_calendar_read_failures",
    "Remote calendar reads that failed while planning (the owner becomes unknown), by kind of failure and "
    "by whose calendar it was (person, interpreter, blackout). Process-local.",
    ["kind", "calendar"],
    registry=PROCESS,
)
CHANNEL_ERRORS = Counter(
    "readout_channel_errors",
    "Leadership channel calls that failed, by kind: rate_limited (429), unavailable (down, 5xx, "
    "unreachable), rejected (refused: bad token, unknown channel). Process-local.",
    ["kind"],
    registry=PROCESS,
)
EFFECTS = Counter(
    "readout_effects_settled",
    "Outbox effects this process carried out, by kind and outcome (delivered, retrying, failed: a dead "
    "letter, refused: the calendar refused the slot). Process-local.",
    ["kind", "outcome"],
    registry=PROCESS,
)

WORKER_PASSES = Counter(
    "readout_worker_passes",
    "Worker passes this process ran (readout worker), by outcome: ok, or failed (the store was unavailable "
    "or the pass hit an error; the next pass runs as usual). Process-local.",
    ["outcome"],
    registry=PROCESS,
)

for _outcome in ("ok", "failed"):
    WORKER_PASSES.labels(_outcome)
for _status in PLAN_STATUSES:  # every series exists from the start (at 0), so rate() sees the first one
    PLAN_SECONDS.labels(_status)
for _kind in CALENDAR_FAILURE_KINDS:
    for _role in CALENDAR_ROLES:
        CALENDAR_FAILURES.labels(_kind, _role)
for _kind in CHANNEL_ERROR_KINDS:
    CHANNEL_ERRORS.labels(_kind)
for _kind in EFFECT_KINDS:
    for _outcome in EFFECT_OUTCOMES:
        EFFECTS.labels(_kind, _outcome)


def _known(value: str, allowed: tuple[str, ...]) -> str:
    return value if value in allowed else "other"


# Recording (what the services call) ------------------------------------------------------------------------


def plan_timed(status: str, seconds: float) -> None:
    """One plan made, ``status`` as ``PlanStatus.value``, in ``seconds``."""
    PLAN_SECONDS.labels(status if status in PLAN_STATUSES else "not_ready").observe(seconds)


# The adapters say why a read failed in fixed words (adapters/http/replies.py, feeds.py, caldav/): first
# match wins, so the specific ones come first. A new wording falls into "other" until it is listed here.
_FAILURE_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("refused", ("outbound policy",)),
    ("timeout", ("timed out", "no answer within", "past the time allowed")),
    ("too_large", ("larger than",)),
    ("tls", ("tls ",)),
    ("denied", ("http 401", "http 403")),
    ("http_error", ("http ",)),
    (
        "unreachable",
        ("could not be resolved", "connection refused", "could not connect", "does not answer"),
    ),
    (
        "malformed",
        (
            "not a valid icalendar",
            "cannot be read",
            "garbled",
            "could not be decoded",
            "multistatus",
            "left out the data",
        ),
    ),
    (
        "unsupported",
        ("unsupported", "not a valid", "a local file, not", "not a caldav", "redirect", "not read yet"),
    ),
)


def calendar_failure_kind(detail: str) -> str:
    """The kind of a calendar read failure from the adapter's reason (``SourceUnavailable.detail``)."""
    text = detail.lower()
    for kind, words in _FAILURE_WORDS:
        if any(word in text for word in words):
            return kind
    return "other"


def calendar_read_failed(kind: str, calendar: str) -> None:
    """A remote calendar read failed; ``kind`` from ``CALENDAR_FAILURE_KINDS``, ``calendar``: person,
    interpreter or blackout."""
    CALENDAR_FAILURES.labels(
        _known(kind, CALENDAR_FAILURE_KINDS), calendar if calendar in CALENDAR_ROLES else "person"
    ).inc()


def channel_failed(kind: str) -> None:
    """A leadership channel call failed; ``kind`` from ``CHANNEL_ERROR_KINDS``."""
    CHANNEL_ERRORS.labels(kind if kind in CHANNEL_ERROR_KINDS else "rejected").inc()


def effect_settled(kind: str, outcome: str) -> None:
    """This process settled an effect: ``kind`` as ``EffectKind.value``, ``outcome`` from
    ``EFFECT_OUTCOMES``."""
    if kind in EFFECT_KINDS and outcome in EFFECT_OUTCOMES:
        EFFECTS.labels(kind, outcome).inc()


def worker_passed(ok: bool) -> None:
    """A worker pass ended, without (``ok``) or with an error."""
    WORKER_PASSES.labels("ok" if ok else "failed").inc()


# The store's truth, at scrape time -------------------------------------------------------------------------

ESCALATION_STATES = tuple(state.value for state in State)  # each reported, at 0 when none is in it


@dataclass(frozen=True)
class StoreGauges:
    """What the store holds now, as the gauges report it."""

    escalations: dict[str, int] = field(default_factory=dict)  # state -> count
    live_holds: int = 0  # live and not past expiry
    outbox_depth: int = 0  # effects not settled yet: pending or in flight
    outbox_oldest_due_seconds: float = 0.0  # how long the longest-waiting due effect has been due; 0: none
    dead_letters: int = 0  # effects given up (failed) or uncertain: a person must act
    reaper_lag_seconds: float = 0.0  # since the oldest hold past its expiry that is still live; 0: none


def store_gauges(deps: Deps, now: datetime) -> StoreGauges:
    """The gauges as of ``now``, in one short read-only transaction: aggregate queries on a SQL store, the
    ports on any other (the memory twin)."""
    from readout.adapters.sql.store_gauges import sql_store_gauges  # sqlalchemy: only when scraped
    from readout.adapters.sql.unit_of_work import SqlUnitOfWork

    made = deps.look()  # not entered yet: a SQL store is read with its own aggregate queries
    if isinstance(made, SqlUnitOfWork):
        return StoreGauges(**sql_store_gauges(made.engine, now))
    with made as uow:
        return _ported_gauges(uow, now)


def _ported_gauges(uow: UnitOfWork, now: datetime) -> StoreGauges:
    """Over the ports (the memory twin): every escalation's holds and effects."""
    from readout.domain.effects import EffectStatus
    from readout.domain.holds import HoldStatus

    states: dict[str, int] = {}
    live = depth = dead = 0
    oldest_due: datetime | None = None
    oldest_overdue: datetime | None = None
    for esc in uow.escalations.list():
        states[esc.state.value] = states.get(esc.state.value, 0) + 1
        for hold in uow.holds.of(esc.id):
            if hold.status is HoldStatus.LIVE and hold.expires_at > now:
                live += 1
            elif hold.status is HoldStatus.LIVE:
                oldest_overdue = min(oldest_overdue or hold.expires_at, hold.expires_at)
        for effect in uow.effects.of(esc.id):
            if effect.open:
                depth += 1
                if effect.due(now):  # since when: the lease's end, the retry time, or when it was written
                    since = effect.lease_until if effect.status is EffectStatus.IN_FLIGHT else effect.next_at
                    since = since or effect.created_at
                    oldest_due = min(oldest_due or since, since)
            elif effect.status in (EffectStatus.FAILED, EffectStatus.UNCERTAIN):
                dead += 1
    return StoreGauges(
        states,
        live,
        depth,
        (now - oldest_due).total_seconds() if oldest_due else 0.0,
        dead,
        (now - oldest_overdue).total_seconds() if oldest_overdue else 0.0,
    )


class StoreCollector:
    """Collects the store-derived gauges when scraped, in one short read-only unit of work of ``deps()``
    (read at each scrape, so the app's current Deps is used). A store that cannot be read gives
    ``readout_store_up 0`` and no other store gauge, never an error page."""

    def __init__(self, deps: Callable[[], Deps]) -> None:
        self._deps = deps

    def describe(self) -> Iterable[Metric]:
        return []  # nothing to check against other collectors: the names are this module's own

    def collect(self) -> Iterator[Metric]:
        from readout.errors import ReadoutError

        deps = self._deps()
        try:
            found = store_gauges(deps, deps.clock())
        except ReadoutError:
            yield _gauge("readout_store_up", "1 when the store answered this scrape, else 0.", 0)
            return
        yield _gauge("readout_store_up", "1 when the store answered this scrape, else 0.", 1)
        by_state = GaugeMetricFamily(
            "readout_escalations",
            "Escalations by lifecycle state." + _MAX_NOTE,
            labels=["state"],
        )
        for state in sorted(set(ESCALATION_STATES) | set(found.escalations)):
            by_state.add_metric([state], found.escalations.get(state, 0))
        yield by_state
        yield _gauge(
            "readout_live_holds", "Holds live and not past their expiry." + _MAX_NOTE, found.live_holds
        )
        yield _gauge(
            "readout_outbox_depth",
            "Effects not settled yet (pending or in flight)." + _MAX_NOTE,
            found.outbox_depth,
        )
        yield _gauge(
            "readout_outbox_oldest_due_age_seconds",
            "Seconds the longest-waiting due effect has been due; 0 when none is due." + _MAX_NOTE,
            found.outbox_oldest_due_seconds,
        )
        yield _gauge(
            "readout_dead_letters",
            "Effects given up (failed) or uncertain: a person must act." + _MAX_NOTE,
            found.dead_letters,
        )
        yield _gauge(
            "readout_reaper_lag_seconds",
            "Seconds since the oldest hold past its expiry that is not yet released; 0 when none."
            + _MAX_NOTE,
            found.reaper_lag_seconds,
        )


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


# Exposing them ---------------------------------------------------------------------------------------------


def registry_for(deps: Callable[[], Deps]) -> CollectorRegistry:
    """A registry for one app: this process's metrics (or, in multiprocess mode, every process's, read from
    the directory at each scrape) and the store's gauges."""
    registry = CollectorRegistry(auto_describe=False)
    folder = os.environ.get(MULTIPROCESS_DIR)
    if folder:
        from prometheus_client.multiprocess import MultiProcessCollector

        MultiProcessCollector(registry, path=folder)  # type: ignore[no-untyped-call]
    else:
        registry.register(PROCESS)
    registry.register(StoreCollector(deps))
    return registry


def exposition(registry: CollectorRegistry) -> bytes:
    """The registry in the Prometheus text format (version 0.0.4)."""
    return generate_latest(registry)


@dataclass(frozen=True)
class MetricsServer:
    """``/metrics`` served from a thread of this process: where, and how to stop it."""

    host: str
    port: int  # the port it listens on (the one the system chose when asked for 0)
    stop: Callable[[], None]


def serve_metrics(deps: Deps, port: int, host: str = "127.0.0.1") -> MetricsServer:
    """Serve ``/metrics`` for a process without the API (``readout worker``) on ``host``: ``port`` (0: any
    free port) from a daemon thread: this process's metrics and the store's gauges. A port that cannot be
    bound is a ``ReadoutError`` naming it (bad input: exit 2)."""
    from prometheus_client import start_http_server

    from readout.errors import ReadoutError

    try:
        server, thread = start_http_server(port, addr=host, registry=registry_for(lambda: deps))
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ReadoutError(f"--metrics-port: cannot serve metrics on {host}:{port}: {reason}") from None

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return MetricsServer(host, int(server.server_port), stop)


@contextmanager
def metrics_served(deps: Deps, port: int | None, host: str = "127.0.0.1") -> Iterator[MetricsServer | None]:
    """``serve_metrics`` for the duration of the block; nothing when ``port`` is None."""
    if port is None:
        yield None
        return
    served = serve_metrics(deps, port, host)
    try:
        yield served
    finally:
        served.stop()
