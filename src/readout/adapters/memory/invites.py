"""In-memory twin of the invitation sender: records what would have been sent (tests, dry runs)."""

from __future__ import annotations

from readout.domain.invite import Invitation

__all__ = ["MemoryInviteSender"]


class MemoryInviteSender:
    """Keeps every invitation in ``sent``; ``fail_with`` makes the next send raise (delivery failure)."""

    def __init__(self) -> None:
        self.sent: list[Invitation] = []
        self.fail_with: Exception | None = None

    def send(self, invitation: Invitation) -> None:
        """Record the invitation, or raise the prepared failure once."""
        if self.fail_with is not None:
            failure, self.fail_with = self.fail_with, None
            raise failure
        self.sent.append(invitation)
