"""Cases already built from stored documents, so a long-running process does not validate and build the
same document on every request.

A stored case document is immutable (a new version has another digest), and building it depends only on the
document and on this process's settings (the calendar root and the outbound policy, fixed at start). What
changes with time is only what the intake checks ask of DNS for a document posted to the API (docs/intake.md);
so an entry is kept for at most ``ttl`` seconds, after which the document is built, and checked, again.
Every connection is checked again when it is made in any case (adapters/http/outbound.py). A document that
fails to build is never kept: it fails again, with its own message, each time.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from readout.domain.case_document import CaseDocument, LoadedCase

__all__ = ["BuiltCases"]


class BuiltCases:
    """``build(document)`` through a bounded, expiring, thread-safe memory keyed by the document's origin and
    digest."""

    def __init__(
        self,
        build: Callable[[CaseDocument], LoadedCase],
        max_entries: int = 64,
        ttl: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._build = build
        self.max_entries = max_entries
        self.ttl = ttl
        self._clock = clock
        self._kept: OrderedDict[tuple[str, str], tuple[float, LoadedCase]] = OrderedDict()
        self._lock = threading.Lock()

    def build(self, document: CaseDocument) -> LoadedCase:
        key = (document.origin, document.digest)
        now = self._clock()
        with self._lock:
            found = self._kept.get(key)
            if found is not None and now - found[0] < self.ttl:
                self._kept.move_to_end(key)
                return found[1]
        loaded = self._build(document)  # outside the lock: two threads may build the same document at once
        if self.max_entries > 0:
            with self._lock:
                self._kept[key] = (now, loaded)
                self._kept.move_to_end(key)
                while len(self._kept) > self.max_entries:
                    self._kept.popitem(last=False)
        return loaded
