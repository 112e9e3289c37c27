"""How a CLI command presents its result: JSON on request, else a readable report drawn with rich."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["emit", "warning_block"]


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


def warning_block(console: Console, lines: Sequence[str]) -> None:
    """Lines a person must not miss (something they may think happened did not), framed in bold yellow;
    the first line is the headline."""
    from rich.panel import Panel
    from rich.text import Text

    body = Text(lines[0], style="bold")
    for line in lines[1:]:
        body.append("\n" + line)
    console.print(Panel(body, title="WARNING", title_align="left", border_style="bold yellow"))
