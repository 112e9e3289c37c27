"""Argument types the CLI's verbs share: each turns a word into a value or answers argparse's one-line error
(exit 2). argparse only, so that building the parser stays cheap."""

from __future__ import annotations

import argparse
from datetime import datetime

__all__ = ["port", "positive", "timestamp"]


def timestamp(text: str) -> datetime:
    """An ISO 8601 instant with an offset, in the years 1900-2999."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 timestamp") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no offset: write Z or +HH:MM") from None
    if not 1900 <= moment.year <= 2999:
        raise argparse.ArgumentTypeError(f"{text!r} is outside the years 1900-2999") from None
    return moment


def positive(text: str) -> int:
    """A whole number of at least 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


def port(text: str) -> int:
    """A TCP port."""
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (1-65535)")
    return int(text)
