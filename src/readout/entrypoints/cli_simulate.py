"""The ``simulate`` verb of the CLI: a seeded support organisation on a virtual clock (docs/simulation.md)."""

from __future__ import annotations

import argparse

__all__ = ["add_parser", "run"]

_DESCRIPTION = """\
Simulate a seeded support organisation (customers in many zones with holidays, meeting hours, CAB blackouts
and year-end freezes; escalation managers, follow-the-sun fix owners, customer success directors, customer
incident managers; an interpreter roster; calendars as free/busy) receiving incidents over weeks. People drive
the real workflow on a virtual clock and a real store (a SQLite file, or --database-url); the run prints the
outcome report of that store (`READOUT_DATABASE_URL=sqlite:///PATH readout report --json` reads the same).
--compare runs the same incidents under policy variants, each on its own store. See docs/simulation.md.
"""


def add_parser(verbs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``readout simulate`` to ``verbs`` (argparse only: nothing heavy is imported here)."""
    help_text = "simulate a support organisation receiving incidents over weeks, and report the outcomes"
    parser = verbs.add_parser(
        "simulate", help=help_text, description=_DESCRIPTION, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--escalations", metavar="N", default="200", help="incidents to simulate (default 200)"
    )
    parser.add_argument(
        "--weeks", metavar="W", default="12", help="weeks the incidents arrive over (default 12)"
    )
    parser.add_argument(
        "--seed", metavar="S", default="1", help="seed of the organisation and incidents (default 1)"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--store",
        metavar="PATH",
        default="readout-simulation.sqlite3",
        help="SQLite file the run leaves (default readout-simulation.sqlite3; never overwritten without\n"
        "--replace)",
    )
    parser.add_argument("--replace", action="store_true", help="overwrite existing store files")
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="an empty store given as a READOUT_DATABASE_URL-style URL instead",
    )
    parser.add_argument(
        "--compare",
        action="store_true",
        help="also run the same incidents under the policy variants (holds off, one hold, 8-hour holds,\n"
        "30-minute granularity), each on its own store beside --store, and print the measures side by side",
    )
    parser.add_argument("--plots", metavar="DIR", help="write PNG plots of the distributions to DIR")


_LIMITS = {"escalations": (1, 20000), "weeks": (1, 104), "seed": (0, 2**31 - 1)}


def _number(name: str, text: str) -> int:
    from readout.errors import ReadoutError

    low, high = _LIMITS[name]
    if not text.strip().isdigit() or not low <= int(text) <= high:
        raise ReadoutError(f"--{name}: expected a whole number from {low} to {high}, got {text!r}")
    return int(text)


def run(args: argparse.Namespace) -> int:
    """Run ``readout simulate``."""
    import json
    import sys
    from pathlib import Path

    from readout.errors import ReadoutError

    escalations = _number("escalations", args.escalations)
    weeks = _number("weeks", args.weeks)
    seed = _number("seed", args.seed)
    url = args.database_url.strip() if args.database_url is not None else None
    if url is not None and not url:
        raise ReadoutError(
            "--database-url: expected a URL such as sqlite:///PATH or postgresql://..., got ''"
        )
    store = Path(args.store)
    if url is None and (not args.store.strip() or store.is_dir()):
        raise ReadoutError(f"--store: expected a file path for the SQLite store, got {args.store!r}")
    plots = Path(args.plots) if args.plots else None
    if plots is not None and plots.exists() and not plots.is_dir():
        raise ReadoutError(f"--plots: expected a folder, {args.plots!r} is a file")
    if url is not None:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            make_url(url)
        except ArgumentError:
            raise ReadoutError(
                "--database-url: expected a URL such as sqlite:///PATH or postgresql://..."
            ) from None

    from readout.simulation import SimulationOptions, simulate
    from readout.simulation.present import plot, progress_bar, summary

    options = SimulationOptions(
        escalations=escalations,
        weeks=weeks,
        seed=seed,
        store=None if url else store,
        database_url=url,
        replace=args.replace,
        compare=args.compare,
    )
    with progress_bar(escalations, len_variants(args.compare)) as tick:
        result = simulate(options, tick)
    if plots is not None:
        written = plot(result, plots)
        print(f"plots: {', '.join(str(p) for p in written)}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_json(), indent=2, sort_keys=False))
    else:
        print(summary(result))
    return 0


def len_variants(compare: bool) -> int:
    """How many runs the command makes (one per policy variant with --compare)."""
    from readout.simulation import VARIANTS

    return len(VARIANTS) if compare else 1
