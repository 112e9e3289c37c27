"""Run ``readout`` and kill it (``os._exit``, as ``kill -9`` would: no cleanup, no rollback handler) at one
point: before or after the Nth call of a calendar write, an SMTP send or a store commit.

    READOUT_CRASH_AT=after:send:1 python -m tests.support.crashing_readout confirm ESC --packet ... --as priya

Points are ``before|after`` : ``place|release|confirm|send|commit`` : N (1-based). The process exits with
``CRASHED`` when it reached the point; otherwise it runs to the end and exits as ``readout`` would.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any

CRASHED = 137

__all__ = ["CRASHED"]


def _arm(point: str) -> None:
    from readout.adapters.caldav.holds import CalDavHoldCalendar
    from readout.adapters.mail.smtp import SmtpInviteSender
    from readout.adapters.sql.unit_of_work import SqlUnitOfWork

    when, target, nth = point.split(":")
    owners: dict[str, tuple[type[Any], str]] = {
        "place": (CalDavHoldCalendar, "place"),
        "release": (CalDavHoldCalendar, "release"),
        "confirm": (CalDavHoldCalendar, "confirm"),
        "send": (SmtpInviteSender, "send"),
        "commit": (SqlUnitOfWork, "commit"),
    }
    owner, name = owners[target]
    original: Callable[..., Any] = getattr(owner, name)
    calls = [0]

    @functools.wraps(original)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        hit = calls[0] == int(nth)
        if hit and when == "before":
            os._exit(CRASHED)
        result = original(*args, **kwargs)
        if hit and when == "after":
            os._exit(CRASHED)
        return result

    setattr(owner, name, wrapped)


def main() -> int:
    """Arm the crash point, then run the command line."""
    _arm(os.environ["READOUT_CRASH_AT"])
    from readout.entrypoints.cli import main as readout

    return readout(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
