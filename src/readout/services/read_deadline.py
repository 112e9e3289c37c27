"""A cooperative deadline for the remote reads gathering runs in worker threads.

A thread cannot be stopped from outside. When gathering stops waiting for a source (its owner becomes
unknown), the read would otherwise run on: parsing and expanding a hostile feed for minutes, and keeping the
process alive after the plan was printed (the interpreter waits for its worker threads at exit). So gathering
runs each remote read under a deadline, and the calendar adapters check it between pieces of work (each
component parsed, each event expanded, every few thousand occurrences of a rule): past it, the read stops
with ``ReadAbandoned``.

Outside gathering (local files, the hold re-check) there is no deadline and ``check`` costs one lookup.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import TypeVar

__all__ = ["ReadAbandoned", "check", "run_before"]

_T = TypeVar("_T")
_DEADLINE: ContextVar[float | None] = ContextVar("readout_read_deadline", default=None)


class ReadAbandoned(Exception):
    """The read went past its deadline: nobody waits for its answer any more."""


def run_before(deadline: float, call: Callable[[], _T]) -> _T:
    """``call()`` with ``deadline`` (a ``time.monotonic()`` instant) in force in this thread."""
    token = _DEADLINE.set(deadline)
    try:
        return call()
    finally:
        _DEADLINE.reset(token)


def check() -> None:
    """Raise ``ReadAbandoned`` when the deadline in force has passed."""
    deadline = _DEADLINE.get()
    if deadline is not None and time.monotonic() > deadline:
        raise ReadAbandoned("the read went past the time allowed for it")
