"""Language tags (BCP 47) and which spoken language serves a requested one (spec section 4).

A requested language is a basic language range and an interpreter's languages are tags; a tag serves the
range under RFC 4647 section 3.3.1 basic filtering, case-insensitively: ``pt`` is served by ``pt``,
``pt-BR`` and ``pt-PT``; ``pt-BR`` only by ``pt-BR`` or a longer tag that starts with ``pt-BR-``. Tags are
not checked for well-formedness here: a malformed one simply matches only itself (and its extensions).
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["served_by_any", "serves"]


def serves(tag: str, requested: str) -> bool:
    """Whether the language tag ``tag`` matches the basic language range ``requested`` (RFC 4647 3.3.1):
    equal ignoring case, or ``requested`` followed by ``-`` is a prefix of it; the range ``*`` matches any."""
    wanted, spoken = requested.strip().casefold(), tag.strip().casefold()
    if wanted == "*":
        return True
    return spoken == wanted or spoken.startswith(wanted + "-")


def served_by_any(tags: Iterable[str], requested: str) -> bool:
    """Whether any of ``tags`` serves the requested language range."""
    return any(serves(tag, requested) for tag in tags)
