"""What a page says after an action: what was done, what was only recorded, and who must act next (the
product's rule: never claim what did not happen). Rendered by ``templates/_flash.html``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Flash"]


@dataclass(frozen=True)
class Flash:
    """One message at the top of a page. ``kind``: ok (done), warn (done, but something was not, e.g. no
    invitation sent), error (refused: nothing changed)."""

    kind: Literal["ok", "warn", "error"]
    headline: str
    done: tuple[str, ...] = field(default_factory=tuple)  # what was done (calendars written, mail sent)
    recorded: tuple[str, ...] = field(default_factory=tuple)  # what was only recorded (nobody told yet)
    next: str = ""  # who must act next, and what
