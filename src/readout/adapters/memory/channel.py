"""In-memory twin of the leadership channel: records posts and in-place updates (unit tests, dry runs)."""

from __future__ import annotations

from dataclasses import dataclass, field

from readout.domain.channel import ChannelMessage
from readout.errors import NotFound

__all__ = ["MemoryChannel", "Posted"]


@dataclass
class Posted:
    """One message as the channel shows it now: its reference, the key it was posted with, the message it
    replies under (None: top level), and its text and blocks after every update."""

    ref: str
    key: str
    thread: str | None
    message: ChannelMessage
    updates: int = 0


@dataclass
class MemoryChannel:
    """Keeps every message in ``posted`` (in order) and every call in ``calls``; ``fail_with`` makes the next
    call raise (a channel that is down). A retried post finds the message posted with its key."""

    posted: list[Posted] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)  # ("post" | "update", key or ref)
    fail_with: Exception | None = None

    def post(
        self, message: ChannelMessage, *, key: str, thread: str | None = None, retry: bool = False
    ) -> str:
        """Record the message (as a reply under ``thread`` when given); its reference."""
        self._fail()
        self.calls.append(("post", key))
        if retry:
            earlier = next((p for p in self.posted if p.key == key), None)
            if earlier is not None:
                return earlier.ref
        ref = f"{len(self.posted) + 1}.000100"
        self.posted.append(Posted(ref, key, thread, message))
        return ref

    def update(self, ref: str, message: ChannelMessage) -> None:
        """Replace the message ``ref`` in place."""
        self._fail()
        self.calls.append(("update", ref))
        found = self.get(ref)
        found.message = message
        found.updates += 1

    def get(self, ref: str) -> Posted:
        """The message ``ref``; NotFound when the channel has none."""
        found = next((p for p in self.posted if p.ref == ref), None)
        if found is None:
            raise NotFound(f"no message {ref} in the channel")
        return found

    def top_level(self) -> list[Posted]:
        """Messages not in a thread, in order."""
        return [p for p in self.posted if p.thread is None]

    def thread(self, ref: str) -> list[Posted]:
        """The replies under ``ref``, in order."""
        return [p for p in self.posted if p.thread == ref]

    def _fail(self) -> None:
        if self.fail_with is not None:
            failure, self.fail_with = self.fail_with, None
            raise failure
