"""How a CLI command presents its result: JSON on request, else a readable report drawn with rich."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["emit"]


def emit(args: argparse.Namespace, data: Any, show: Callable[[Console], None]) -> None:
    """``data`` as JSON with ``--json``; otherwise ``show`` draws the readable report on a console.

    The views import rich themselves, and only ``show`` touches them: ``--json`` never loads rich.
    """
    if args.json:
        json.dump(data, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        from rich.console import Console

        show(Console())
