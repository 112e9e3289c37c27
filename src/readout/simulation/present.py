"""How a run is shown: a progress bar on stderr (rich, only on a terminal), the summary table (one column per
policy variant), and PNG plots of the distributions (matplotlib, Agg backend)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from readout.simulation.runner import SimulationResult, VariantResult

__all__ = ["plot", "progress_bar", "summary"]


@contextmanager
def progress_bar(escalations: int, runs: int) -> Iterator[Callable[[str, int, int], None] | None]:
    """A callback ``(variant, finished, total)`` drawing a bar on stderr when it is a terminal; None (no
    output at all) otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(file=sys.stderr),
        transient=True,
    ) as bar:
        tasks: dict[str, Any] = {}

        def tick(variant: str, done: int, total: int) -> None:
            if variant not in tasks:
                tasks[variant] = bar.add_task(f"simulating ({variant})", total=total)
            bar.update(tasks[variant], completed=done)

        yield tick


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _hours(seconds: Any) -> str:
    return "-" if not isinstance(seconds, int | float) else f"{seconds / 3600:.1f} h"


def _share(value: Any) -> str:
    return "-" if not isinstance(value, int | float) else f"{100 * value:.0f}%"


def _rows(variant: VariantResult) -> dict[str, str]:
    overall = _get(variant.report, "overall") or {}
    ttv = _get(overall, "time_to_viable") or {}
    first = _get(overall, "first_pass") or {}
    causes = _get(overall, "escalation_causes") or {}
    deadlines = _get(overall, "deadlines") or {}
    events = variant.stats.get("events", {})
    rows = {
        "escalations": str(overall.get("escalations", "-")),
        "time to viable slot, median": _hours(_get(ttv, "total", "median_s")),
        "time to viable slot, p90": _hours(_get(ttv, "total", "p90_s")),
        "  machine time, median": _hours(_get(ttv, "machine", "median_s")),
        "  human waiting, median": _hours(_get(ttv, "human_wait", "median_s")),
        "confirmed": str(first.get("confirmed", "-")),
        "confirmed without back-and-forth": (
            f"{first.get('without_back_and_forth', '-')} ({_share(first.get('share'))})"
        ),
        "escalated (exception requests)": str(causes.get("escalated", "-")),
        "  to support leadership": str(causes.get("to_support_leadership", "-")),
    }
    for cause, count in sorted((causes.get("by_cause") or {}).items()):
        rows[f"  cause {cause}"] = str(count)
    rows["deadlines met"] = str(deadlines.get("met", "-"))
    rows["deadlines missed"] = str(deadlines.get("missed", "-"))
    rows["  of which cancelled after the deadline"] = str(deadlines.get("missed_then_cancelled", "-"))
    rows["cancelled before the deadline"] = str(deadlines.get("cancelled", "-"))
    rows["bookings over the slot to pick"] = str(events.get("booked_over_slot", 0))
    rows["confirmations refused (re-check)"] = str(events.get("confirmation_refused", 0))
    rows["plans with an unknown person"] = str(events.get("unknown_people", 0))
    rows["run time"] = f"{variant.seconds:.1f} s"
    return rows


def summary(result: SimulationResult) -> str:
    """The measures of each variant side by side, one row per measure."""
    columns = [(v.policy.name, _rows(v)) for v in result.variants]
    labels: list[str] = []
    for _, rows in columns:
        labels += [label for label in rows if label not in labels]
    options = result.options
    head = (
        f"readout simulate: {options.escalations} escalations over {options.weeks} weeks, "
        f"seed {options.seed}, from {options.start:%Y-%m-%d} (virtual clock)"
    )
    width = max(len(label) for label in labels)
    widths = [max(len(name), *(len(rows.get(label, "")) for label in labels)) for name, rows in columns]
    lines = [
        head,
        "",
        " " * width + "  " + "  ".join(n.rjust(w) for (n, _), w in zip(columns, widths, strict=True)),
    ]
    for label in labels:
        cells = "  ".join(rows.get(label, "-").rjust(w) for (_, rows), w in zip(columns, widths, strict=True))
        lines.append(f"{label.ljust(width)}  {cells}")
    lines.append("")
    lines += [f"store ({v.policy.name}): {v.store}" for v in result.variants]
    outages = result.variants[0].stats.get("outages", [])
    lines.append(f"calendar outages: {len(outages)} ({', '.join(o['calendar'] for o in outages)})")
    first = result.variants[0]
    as_of = first.report.get("as_of")
    if as_of:  # the same report again, from the store alone (docs/outcomes.md)
        lines.append(f"the same report: READOUT_DATABASE_URL={first.store} readout report --now {as_of}")
    return "\n".join(lines)


def _causes(variant: VariantResult) -> dict[str, int]:
    """Escalations by cause as the report counts them (the table's rows), else as the store's requests say."""
    found = _get(variant.report, "overall", "escalation_causes", "by_cause")
    if isinstance(found, dict):
        return {str(k): int(v) for k, v in found.items()}
    return dict(variant.distributions.get("causes", {}))


def plot(result: SimulationResult, folder: Path) -> list[Path]:
    """Write ``time-to-viable.png`` (a histogram per variant) and ``causes.png`` (escalations by cause per
    variant) into ``folder``; the paths written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for variant in result.variants:
        hours = variant.distributions.get("hours_to_viable", [])
        if hours:
            ax.hist(
                hours,
                bins=40,
                histtype="step",
                linewidth=1.5,
                label=f"{variant.policy.name} (n={len(hours)})",
            )
    ax.set_xlabel("hours from customer-safe RCA approval to the first viable slot")
    ax.set_ylabel("escalations")
    ax.set_title(
        f"Time to viable slot (seed {result.options.seed}, {result.options.escalations} escalations)"
    )
    ax.legend()
    fig.tight_layout()
    path = folder / "time-to-viable.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    written.append(path)

    by_cause = {v.policy.name: _causes(v) for v in result.variants}
    causes = sorted({c for counts in by_cause.values() for c in counts})
    fig, ax = plt.subplots(figsize=(8, 4.5))
    width = 0.8 / max(1, len(result.variants))
    for n, variant in enumerate(result.variants):
        counts = [by_cause[variant.policy.name].get(c, 0) for c in causes]
        ax.bar([i + n * width for i in range(len(causes))], counts, width, label=variant.policy.name)
    ax.set_xticks([i + width * (len(result.variants) - 1) / 2 for i in range(len(causes))])
    ax.set_xticklabels(causes, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("escalations with an exception request")
    ax.set_title("Escalations by cause")
    ax.legend()
    fig.tight_layout()
    path = folder / "causes.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    written.append(path)
    return written
