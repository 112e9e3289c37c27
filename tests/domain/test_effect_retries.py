"""An effect that failed for a passing reason waits before it is tried again: the backoff, and no sooner than
what the other side asked for (``Retry-After``), never longer than the longest backoff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from readout.domain.effects import MAX_ATTEMPTS, Effect, EffectKind, EffectStatus, backoff

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _tried(times: int) -> Effect:
    effect = Effect(1, "ESC-51007", EffectKind.CHANNEL_POST, "channel:request:ESC-51007:1:post", {}, NOW)
    for _ in range(times):
        effect = effect.claimed(NOW, timedelta(minutes=2))
    return effect


def test_a_passing_failure_waits_the_backoff() -> None:
    again = _tried(1).retry_later(NOW, "503 from Slack")
    assert again.status is EffectStatus.PENDING
    assert again.next_at == NOW + backoff(1) == NOW + timedelta(seconds=30)


def test_retry_after_is_honoured_when_it_asks_for_longer_than_the_backoff() -> None:
    asked = _tried(1).retry_later(NOW, "429 from Slack", at_least=timedelta(seconds=120))
    assert asked.next_at == NOW + timedelta(seconds=120)
    shorter = _tried(3).retry_later(NOW, "429 from Slack", at_least=timedelta(seconds=5))
    assert shorter.next_at == NOW + backoff(3)  # never sooner than the backoff itself


def test_a_retry_after_beyond_an_hour_is_capped_and_the_last_attempt_is_a_dead_letter() -> None:
    capped = _tried(1).retry_later(NOW, "429", at_least=timedelta(days=2))
    assert capped.next_at == NOW + timedelta(hours=1)
    last = _tried(MAX_ATTEMPTS).retry_later(NOW, "429", at_least=timedelta(seconds=10))
    assert last.status is EffectStatus.FAILED
    assert last.last_error == "429"
