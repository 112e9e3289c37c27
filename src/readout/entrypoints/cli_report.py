"""The ``report`` verb of the CLI: the outcome measures over a period (docs/outcomes.md)."""

from __future__ import annotations

import argparse
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["add_parser", "run"]

_HELP = """\
The four outcome measures (docs/outcomes.md) over the escalations whose customer-safe RCA was approved in the
period (UTC dates, both included; default: all), overall and per customer: time from the approval to the first
viable slot (median and p90, machine time and human waiting apart), the share of readouts confirmed without
back-and-forth, escalations by cause, and deadlines met and missed as of now (--now to measure as of another
instant). --json prints what GET /v1/report returns.
"""


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: write YYYY-MM-DD") from None


def add_parser(
    verbs: argparse._SubParsersAction[argparse.ArgumentParser], parents: list[argparse.ArgumentParser]
) -> None:
    """Add ``readout report`` to ``verbs`` (argparse only: nothing heavy is imported here)."""
    help_text = "the outcome measures over a period, per customer (docs/outcomes.md)"
    report = verbs.add_parser(
        "report",
        help=help_text,
        description=_HELP,
        parents=parents,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    report.add_argument(
        "--from", dest="start", type=_day, metavar="DATE", help="first approval date (YYYY-MM-DD, UTC)"
    )
    report.add_argument(
        "--to", dest="end", type=_day, metavar="DATE", help="last approval date (YYYY-MM-DD, UTC)"
    )
    report.add_argument("--customer", metavar="ID", help="one customer (the case file's customer id)")


def run(args: argparse.Namespace) -> int:
    """Run ``readout report``."""
    from readout import bootstrap
    from readout.entrypoints.cli_output import emit
    from readout.services.outcomes import measure

    outcomes = measure(
        bootstrap.workflow_deps(args.now), start=args.start, end=args.end, customer=args.customer
    )
    data = outcomes.to_json()

    def show(console: Console) -> None:
        _render(console, data)

    emit(args, data, show)
    return 0


def _render(console: Console, data: dict[str, Any]) -> None:
    from rich.table import Table

    from readout.services.outcomes import duration_text

    period = data["period"]
    span = f"approved {period['from'] or 'any day'} to {period['to'] or 'any day'} (UTC dates)"
    who = period["customer"] or "all customers"
    console.print(f"[bold]Outcomes[/bold]: {span}, {who}; deadlines as of {data['as_of']}")
    overall = data["overall"]
    console.print(
        f"{overall['escalations']} escalations measured; {data['awaiting_approval']} awaiting their RCA "
        "approval (outside the measures). Definitions: docs/outcomes.md."
    )
    viable = overall["time_to_viable"]
    console.print(
        f"[bold]Time to first viable slot[/bold]: {viable['reached']} reached, {viable['not_yet']} not yet"
    )
    table = Table()
    for column in ("", "median", "p90"):
        table.add_column(column)
    for key, name in (("total", "total"), ("machine", "machine"), ("human_wait", "human wait")):
        spread = viable[key]
        table.add_row(name, duration_text(spread["median_s"]), duration_text(spread["p90_s"]))
    console.print(table)
    first = overall["first_pass"]
    share = "n/a" if first["share"] is None else f"{first['share']:.0%}"
    reasons = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in first["reasons"].items())
    console.print(
        f"[bold]First pass[/bold]: {first['without_back_and_forth']} of {first['confirmed']} confirmed "
        f"({share}) without back-and-forth; the others had: {reasons}"
    )
    _causes(console, overall["escalation_causes"])
    console.print(f"[bold]Deadlines[/bold]: {_deadline_words(overall['deadlines'])}")
    _customers(console, data["customers"])


def _causes(console: Console, causes: dict[str, Any]) -> None:
    from rich.table import Table

    console.print(
        f"[bold]Escalations by cause[/bold]: {causes['escalated']} escalated, "
        f"{causes['to_support_leadership']} to support leadership; each counted once per cause"
    )
    table = Table()
    table.add_column("cause")
    table.add_column("escalations", justify="right")
    for cause, count in causes["by_cause"].items():
        table.add_row(cause, str(count))
    console.print(table)


def _deadline_words(deadlines: dict[str, int]) -> str:
    d = deadlines
    return (
        f"met {d['met']}, missed {d['missed']} ({d['missed_confirmed_late']} confirmed late, "
        f"{d['missed_still_open']} still open, {d['missed_then_cancelled']} cancelled after it), "
        f"pending {d['pending']}, cancelled before it {d['cancelled']}"
    )


def _customers(console: Console, customers: dict[str, Any]) -> None:
    from rich.table import Table

    from readout.services.outcomes import duration_text

    if not customers:
        return
    console.print("[bold]Per customer[/bold]")
    table = Table()
    table.add_column("customer")
    for column in ("n", "to viable (median)", "first pass", "escalated", "met", "missed", "pending"):
        table.add_column(column, justify="right")
    for name, m in customers.items():
        first, deadlines = m["first_pass"], m["deadlines"]
        table.add_row(
            name,
            str(m["escalations"]),
            duration_text(m["time_to_viable"]["total"]["median_s"]),
            f"{first['without_back_and_forth']}/{first['confirmed']}",
            str(m["escalation_causes"]["escalated"]),
            str(deadlines["met"]),
            str(deadlines["missed"]),
            str(deadlines["pending"]),
        )
    console.print(table)
