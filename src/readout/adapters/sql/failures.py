"""What a database failure means to the person who ran the command: one line, no traceback, no password.

Every failure of the store (busy, read-only, disk full, unreachable, not a database) becomes a
``StoreUnavailable``: nothing was changed, and the message says what to do. The table of causes is data.
"""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from readout.config import ConfigError
from readout.errors import StoreUnavailable

__all__ = ["shown_url", "store_failure"]

# (what the driver says, in lower case) -> what it means; the first match wins.
_CAUSES: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        ("database is locked", "lock not available", "could not obtain lock"),
        "the store is busy (another Readout command is writing); nothing was changed: retry",
    ),
    (("readonly database", "read-only", "read only"), "the store is read-only; nothing was changed"),
    (("disk is full", "no space left", "disk full"), "no space left for the store; nothing was changed"),
    (
        ("unable to open database file", "is a directory", "not a database", "file is not a database"),
        "cannot open the store: not a database file, or its folder is missing or not writable",
    ),
    (
        (
            "connection refused",
            "could not connect",
            "connection failed",
            "timeout expired",
            "name or service",
        ),
        "cannot reach the database server",
    ),
    (("password authentication failed", "authentication failed"), "the database refused the credentials"),
    (("does not exist",), "the database does not exist"),
)


def shown_url(url: str | URL) -> str:
    """The database URL with any password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unreadable URL)"


def store_failure(error: BaseException, url: str | URL) -> StoreUnavailable:
    """The one-line meaning of ``error`` raised by the store at ``url``."""
    text = str(getattr(error, "orig", None) or error).lower()
    meaning = next(
        (words for needles, words in _CAUSES if any(n in text for n in needles)),
        f"the store failed ({type(getattr(error, 'orig', None) or error).__name__})",
    )
    return StoreUnavailable(shown_url(url), meaning)


def bad_url(url: str) -> ConfigError:
    """``READOUT_DATABASE_URL`` that SQLAlchemy cannot read."""
    return ConfigError(
        f"READOUT_DATABASE_URL={shown_url(url)!r}: expected a SQLAlchemy URL such as "
        "sqlite:////path/readout.db or postgresql://user@host/db"
    )
