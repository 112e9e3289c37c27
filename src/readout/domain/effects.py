"""Effects: what a decision asks the outside world to do (decide, commit, then act).

A use case never calls a calendar or a mail relay inside the transaction that decides. It writes an
``Effect`` (an intent) in the same transaction as the decision and its audit entry; after the commit a runner
carries it out, idempotently, and records the outcome. A crash at any point leaves either a pending effect
(the next run carries it out) or a done one.

Calendar effects are safe to repeat (deterministic resource names, conditional writes). An invitation is not:
it is marked ``in_flight`` before the message goes out, and an ``in_flight`` invitation whose lease ran out is
``uncertain``: never sent again automatically (at most one invitation), shown to a human instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

__all__ = [
    "MAX_ATTEMPTS",
    "Effect",
    "EffectKind",
    "EffectStatus",
    "backoff",
    "notification_message_id",
]

MAX_ATTEMPTS = 8  # then the effect is failed (a dead letter shown in status), not retried
_FIRST_RETRY = timedelta(seconds=30)
_LONGEST_RETRY = timedelta(hours=1)


class EffectKind(Enum):
    """What to do outside."""

    PLACE_HOLD = "place_hold"
    RELEASE_HOLD = "release_hold"
    CONFIRM_HOLD = "confirm_hold"  # the organizer's hold becomes the readout event
    SEND_INVITATION = "send_invitation"  # iMIP REQUEST or CANCEL
    # The leadership channel (domain/channel.py). A post carries its effect's key to the channel (Slack:
    # message metadata), so a retry after an unknown outcome finds it there instead of posting it twice.
    CHANNEL_POST = "channel_post"  # payload: topic, thread (the topic whose first post it replies under, or
    # None: a top-level post), message
    CHANNEL_UPDATE = "channel_update"  # payload: topic (whose first post is replaced in place), message
    # A plain-text e-mail to Readout users (services/notify.py): the approvers of an exception request when no
    # channel is configured, or a reminder. Payload: to (user ids, their addresses looked up when sending),
    # subject, body, audit (the entry recorded once sent), about (what the entry says it was about).
    # Kept repeatable, deliberately: a notification lost is worse than one received twice. Its Message-ID is
    # derived from the effect's key (``notification_message_id``), so a retry after an unknown outcome (a
    # process killed between sending and recording) sends the same message again, which mail systems that
    # deduplicate by Message-ID show once; others may show it twice. A relay that refused some recipients
    # after taking others is a final failure (never re-sent to those who have it).
    NOTIFY_EMAIL = "notify_email"

    @property
    def repeatable(self) -> bool:
        """Whether carrying it out twice does no harm (calendar writes are keyed; mail is not)."""
        return self is not EffectKind.SEND_INVITATION


def notification_message_id(key: str) -> str:
    """The Message-ID of a ``NOTIFY_EMAIL`` effect's message: the same for every attempt of one intent."""
    import hashlib

    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@readout.notifications>"


class EffectStatus(Enum):
    """Where an effect stands. Only ``pending`` (and an expired ``in_flight`` lease) is picked up."""

    PENDING = "pending"
    IN_FLIGHT = "in_flight"  # claimed by a runner until ``lease_until``
    DONE = "done"
    FAILED = "failed"  # given up: a dead letter for a human
    UNCERTAIN = "uncertain"  # an invitation may or may not have gone out: never re-sent automatically
    DROPPED = "dropped"  # no longer wanted (e.g. an unsent invitation of a cancelled readout)


def backoff(attempts: int) -> timedelta:
    """Wait before retry number ``attempts`` (1-based): 30 s doubling, at most an hour."""
    return min(_FIRST_RETRY * (1 << max(attempts - 1, 0)), _LONGEST_RETRY)


@dataclass(frozen=True)
class Effect:
    """One intent. ``key`` is unique: writing the same intent twice records it once."""

    id: int
    escalation_id: str
    kind: EffectKind
    key: str
    payload: dict[str, Any]
    created_at: datetime
    status: EffectStatus = EffectStatus.PENDING
    attempts: int = 0
    next_at: datetime | None = None  # not before (None: at once)
    lease_until: datetime | None = None
    last_error: str | None = None
    done_at: datetime | None = None
    result: dict[str, Any] = field(default_factory=dict)

    def due(self, now: datetime) -> bool:
        """Whether a runner should pick it up now."""
        if self.status is EffectStatus.PENDING:
            return self.next_at is None or self.next_at <= now
        return (
            self.status is EffectStatus.IN_FLIGHT and self.lease_until is not None and self.lease_until <= now
        )

    @property
    def open(self) -> bool:
        """Still to be carried out (pending or being carried out)."""
        return self.status in (EffectStatus.PENDING, EffectStatus.IN_FLIGHT)

    def claimed(self, now: datetime, lease: timedelta) -> Effect:
        """Taken by a runner until ``now + lease``; counts an attempt."""
        return replace(
            self, status=EffectStatus.IN_FLIGHT, attempts=self.attempts + 1, lease_until=now + lease
        )

    def done(self, now: datetime, result: dict[str, Any] | None = None) -> Effect:
        """Carried out."""
        return replace(
            self,
            status=EffectStatus.DONE,
            done_at=now,
            lease_until=None,
            result=result or {},
            last_error=None,
        )

    def retry_later(self, now: datetime, error: str, at_least: timedelta | None = None) -> Effect:
        """Failed for a passing reason: pending again after a backoff (no sooner than ``at_least``, what the
        other side asked for with ``Retry-After``), or failed after ``MAX_ATTEMPTS``."""
        if self.attempts >= MAX_ATTEMPTS:
            return self.given_up(now, error)
        wait = backoff(self.attempts)
        if at_least is not None:
            wait = max(wait, min(at_least, _LONGEST_RETRY))
        return replace(
            self,
            status=EffectStatus.PENDING,
            next_at=now + wait,
            lease_until=None,
            last_error=error,
        )

    def given_up(self, now: datetime, error: str, status: EffectStatus = EffectStatus.FAILED) -> Effect:
        """Not retried any more (failed, uncertain or dropped): a human decides what follows."""
        return replace(self, status=status, done_at=now, lease_until=None, last_error=error)
