"""One error hierarchy. Errors carry data (file, field path, expectation), not just text."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CalendarError",
    "CaseFileError",
    "Conflict",
    "NotFound",
    "PermissionDenied",
    "ReadoutError",
    "Refused",
    "SlotTaken",
    "SourceUnavailable",
    "StoreUnavailable",
]


class ReadoutError(Exception):
    """Base of every error Readout reports to a user instead of a traceback."""


@dataclass
class CaseFileError(ReadoutError):
    """A case file (or a file it references) is not valid.

    ``field`` is a dotted path such as ``people.luis.availability.funday``; empty for file-level problems.
    """

    file: str
    field: str
    expected: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.expected}"


@dataclass
class CalendarError(ReadoutError):
    """An iCalendar source cannot be read or parsed. Never carries event content."""

    source: str
    detail: str

    def __str__(self) -> str:
        return f"{self.source}: {self.detail}"


class NotFound(ReadoutError):
    """An escalation, user, hold or slot that does not exist."""


class Refused(ReadoutError):
    """A command a rule refuses (illegal transition, failed gate). Nothing was changed."""


class PermissionDenied(Refused):
    """The acting user does not hold a role that may do this."""


class Conflict(Refused):
    """Someone else changed the same thing at the same time; re-read and retry."""


class SlotTaken(Refused):
    """A calendar refused a hold because the slot is no longer free there."""


@dataclass
class SourceUnavailable(ReadoutError):
    """A remote calendar source failed (down, slow, refused). Its owner becomes unknown, never free."""

    source: str
    detail: str

    def __str__(self) -> str:
        return f"{self.source}: {self.detail}"


@dataclass
class RateLimited(SourceUnavailable):
    """An outside service asked Readout to wait (HTTP 429 with ``Retry-After``): retried no sooner."""

    retry_after: float = 60.0  # seconds


@dataclass
class StoreUnavailable(ReadoutError):
    """The store could not be used (busy, read-only, full, unreachable); nothing was changed.

    ``store`` is the database URL without its password."""

    store: str
    detail: str

    def __str__(self) -> str:
        return f"store {self.store}: {self.detail}"
