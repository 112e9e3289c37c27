"""The worker: what Readout does on its own, one pass after another (``readout worker``).

A pass delivers every due effect of every escalation (the outbox: calendar writes, invitations, leadership
channel posts and updates, each retried with backoff and given up as a dead letter after ``MAX_ATTEMPTS``),
then reaps expired holds (``holding.reap``: expire them, take them off their calendars, release orphans),
then writes the reminders due (``reminders.remind``: holds about to expire, deadlines at risk; delivered by
the next pass like any effect).

Several workers may run on one PostgreSQL store: delivery is shared (each effect is claimed under its
escalation's row lock, and a worker's sweep skips the escalations another one holds, see
``adapters/sql/effects.py``), and reaping is done by one worker at a time, the one that gets the reaper's turn
(a transaction-level advisory lock, ``adapters/sql/reaping.py``); the others leave it for their next pass. On
SQLite every unit of work takes the database's write lock: run one worker.

What a pass reports is what *this* process did: it watches the outcomes it records itself (an effect carried
out, given up, or left for a retry), so a second worker's work is never counted twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from readout.domain.effects import Effect, EffectStatus
from readout.domain.intervals import utc_text
from readout.errors import ReadoutError
from readout.observability import worker_passed
from readout.services.context import Deps
from readout.services.effects import Carried, carry_out
from readout.services.ports import UnitOfWork

__all__ = ["EVERY", "Pass", "ReaperTurn", "alone", "run", "run_pass"]

log = logging.getLogger(__name__)

EVERY = 15.0  # seconds between passes: the first retry of a failed delivery waits 30

# A context in which this process may reap; it gives False when another worker is reaping right now.
ReaperTurn = Callable[[], AbstractContextManager[bool]]


@contextmanager
def alone() -> Iterator[bool]:
    """The reaper's turn when no other worker can share the store (the memory twin, SQLite): always."""
    yield True


@dataclass
class Anchoring:
    """Where and how often the worker anchors the audit chains' heads (READOUT_AUDIT_ANCHOR_FILE and
    READOUT_AUDIT_ANCHOR_EVERY; docs/audit.md, "Anchors"): by the process that has the reaper's turn."""

    path: Path
    every: timedelta


@dataclass
class Pass:
    """What one pass did: effects delivered to a calendar, a mail relay or the channel, given up (dead
    letters: failed, or an invitation that may have gone out) and left for a retry, and expired holds
    released; ``reaped`` is None when another worker had the reaper's turn; ``reminded``: reminders written
    (to the channel or by e-mail; delivered by the next pass)."""

    at: datetime
    delivered: int = 0
    failed: int = 0
    retrying: int = 0
    reaped: int | None = 0
    dead_letters: list[str] = field(default_factory=list)  # escalations with an effect given up in this pass
    reminded: int = 0
    replanned: int = 0  # escalations planned again because a calendar they read changed (services/watch.py)
    anchored: bool = False  # the audit chains' heads were appended to the anchor file (docs/audit.md)

    @property
    def settled(self) -> bool:
        """Nothing this pass tried is left failed or waiting for a retry."""
        return self.failed == 0 and self.retrying == 0

    def line(self) -> str:
        """The pass in one line, as the CLI prints it."""
        where = (
            f" ({', '.join(sorted(set(self.dead_letters)))}: a person must act)" if self.dead_letters else ""
        )
        reaped = (
            "reaping left to another worker this pass" if self.reaped is None else f"reaped {self.reaped}"
        )
        return (
            f"{utc_text(self.at)}: delivered {self.delivered}, failed {self.failed} (dead letters){where}, "
            f"retrying {self.retrying}, {reaped}, reminded {self.reminded}, re-planned {self.replanned}"
            + (", audit heads anchored" if self.anchored else "")
        )

    def as_dict(self) -> dict[str, Any]:
        """The pass as JSON."""
        return {
            "at": utc_text(self.at),
            "delivered": self.delivered,
            "failed": self.failed,
            "retrying": self.retrying,
            "reaped": self.reaped,
            "dead_letters": sorted(set(self.dead_letters)),
            "reminded": self.reminded,
            "replanned": self.replanned,
            "anchored": self.anchored,
        }

    def count(self, effect: Effect) -> None:
        """Count an outcome this process recorded (a claim, or a still-open intent, counts nothing)."""
        if effect.status is EffectStatus.DONE and not _nothing_went_out(effect):
            self.delivered += 1
        elif effect.status in (EffectStatus.FAILED, EffectStatus.UNCERTAIN):
            self.failed += 1
            self.dead_letters.append(effect.escalation_id)
        elif effect.status is EffectStatus.PENDING and effect.attempts > 0:
            self.retrying += 1


def _nothing_went_out(effect: Effect) -> bool:
    """Settled without reaching anyone: skipped (the hold had ended) or kept in Readout's ledger only."""
    return bool(effect.result.get("skipped") or effect.result.get("ledger_only"))


def run_pass(deps: Deps, turn: ReaperTurn = alone, anchoring: Anchoring | None = None) -> Pass:
    """One pass: deliver every due effect, plan again where a calendar refused a slot or changed, then reap
    expired holds when this process gets the reaper's turn (and, with ``anchoring``, append the audit chains'
    heads to its file when one is due), then write the reminders due."""
    from readout.services.watch import replan_changed  # planning services, loaded by the worker only

    done = Pass(deps.clock())
    watched = replace(deps, uow=_watching(deps.uow, done))
    _replan(watched, carry_out(watched))
    done.replanned = replan_changed(watched)
    with turn() as mine:
        if mine:
            from readout.services.holding import reap  # holding brings the case and planning services

            done.reaped = len(reap(watched))
            if anchoring is not None:
                from readout.services.anchoring import anchor_if_due

                done.anchored = anchor_if_due(watched, anchoring.path, anchoring.every) is not None
        else:
            done.reaped = None
    from readout.services.reminders import remind  # reminders bring the announcements (Block Kit) module

    done.reminded = remind(watched)
    return done


def run(
    deps: Deps,
    report: Callable[[Pass], None],
    *,
    every: float = EVERY,
    rounds: int | None = None,
    turn: ReaperTurn = alone,
    anchoring: Anchoring | None = None,
    trouble: Callable[[ReadoutError], None] = lambda error: log.warning("worker pass failed: %s", error),
    sleep: Callable[[float], None] = time.sleep,
) -> Pass | None:
    """Run a pass every ``every`` seconds (``rounds`` times, or until stopped), reporting each. A pass that
    fails (the store is unreachable for a moment) is reported to ``trouble`` and the next one runs as usual.
    The last pass, or None when it failed."""
    ran = 0
    while True:
        last: Pass | None = None
        try:
            last = run_pass(deps, turn, anchoring)
        except ReadoutError as error:
            worker_passed(False)
            trouble(error)
        else:
            worker_passed(True)
            report(last)
        ran += 1
        if rounds is not None and ran >= rounds:
            return last
        sleep(every)


def _replan(deps: Deps, carried: Carried) -> None:
    """A calendar refused a hold while it was being placed: the escalation is planned again (as a command
    that placed it would have done)."""
    from readout.services.escalations import replan_stored  # planning loads the case and calendar parsers

    for escalation_id, why in carried.replan.items():
        try:
            replan_stored(deps, escalation_id, None, why)
        except ReadoutError as failure:  # recorded on the escalation's plan next time; the pass goes on
            log.warning("planning %s again failed: %s", escalation_id, failure)


def _watching(make: Callable[[], UnitOfWork], tally: Pass) -> Callable[[], UnitOfWork]:
    """Units of work that count, in ``tally``, the effect outcomes they commit."""
    return lambda: cast(UnitOfWork, _Watched(make(), tally))


class _Watched:
    """A unit of work that remembers the effects it writes and counts them once they are committed."""

    def __init__(self, inner: UnitOfWork, tally: Pass) -> None:
        self._inner, self._tally = inner, tally
        self._written: list[Effect] = []

    def __enter__(self) -> _Watched:
        self._inner.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._written.clear()  # not committed: rolled back, nothing happened
        self._inner.__exit__(*exc)

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._inner, name)
        return _WatchedEffects(found, self._written) if name == "effects" else found

    def commit(self) -> None:
        self._inner.commit()
        for effect in self._written:
            self._tally.count(effect)
        self._written.clear()


class _WatchedEffects:
    """The effects port, noting every effect written through ``update``."""

    def __init__(self, inner: Any, written: list[Effect]) -> None:
        self._inner, self._written = inner, written

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def update(self, effect: Effect) -> None:
        self._inner.update(effect)
        self._written.append(effect)
