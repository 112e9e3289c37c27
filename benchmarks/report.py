"""The benchmark's results as tables: printed with rich, or written as Markdown for docs/performance.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table

__all__ = ["Section", "markdown", "print_sections", "sections"]

GROWN = ("planner", "planner_core", "range_subtraction", "naive", "cp_sat", "floor")


@dataclass
class Section:
    """One table (first column left-aligned, the rest right-aligned) and the notes printed under it."""

    title: str
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _ms(entry: dict[str, Any] | None, ratio: bool = True) -> str:
    if not entry:
        return "-"
    text = f"{entry['p50_ms']:.2f}"
    if ratio and "x_floor" in entry:
        text += f" ({entry['x_floor']:.1f}x)"
    return text


def _peers(results: dict[str, Any]) -> Section:
    section = Section(
        "Planner and peers: p50 ms (x floor); same inputs, every peer's compliant starts equal the planner's",
        [
            "case",
            "busy iv",
            "floor iv",
            "slots",
            "compliant",
            "planner p50/p95",
            "planner warm",
            "planner first",
            "planner core",
            "naive",
            "range-sub",
            "CP-SAT",
            "floor",
            "floor numpy only",
        ],
    )
    for c in results["cases"]:
        planner = c["planner"]
        section.rows.append(
            [
                c["name"],
                str(c["busy_intervals"]),
                str(c["floor_intervals"]),
                str(c["grid_slots"]),
                str(c["compliant"]),
                f"{planner['p50_ms']:.2f}/{planner['p95_ms']:.2f} ({planner['x_floor']:.1f}x)",
                _ms(c["planner_warm"]),
                _ms(c.get("planner_first")),
                _ms(c.get("planner_core")),
                _ms(c.get("naive")),
                _ms(c.get("range_subtraction")),
                _ms(c.get("cp_sat")),
                _ms(c["floor"], ratio=False),
                _ms(c["floor_numpy_only"], ratio=False),
            ]
        )
    return section


def _parsing(results: dict[str, Any]) -> Section:
    section = Section(
        "Parsing, end to end, memory",
        [
            "case",
            "events",
            ".ics MB",
            "parse+expand p50/p95 s",
            "readout plan p50/p95 s",
            "runs",
            "planner peak MB",
            "readout plan peak RSS MB",
        ],
    )
    for c in results["cases"]:
        parse, e2e = c["parse_expand"], c["e2e"]
        section.rows.append(
            [
                c["name"],
                str(c["events"]),
                f"{c['ics_bytes'] / 1e6:.1f}",
                f"{parse['p50_ms'] / 1e3:.2f}/{parse['p95_ms'] / 1e3:.2f}",
                f"{e2e['p50_ms'] / 1e3:.2f}/{e2e['p95_ms'] / 1e3:.2f}",
                f"{parse['n']}/{e2e['n']}",
                f"{c['planner_peak_bytes'] / 1e6:.1f}",
                f"{c['e2e_max_rss_bytes'] / 1e6:.0f}",
            ]
        )
        default = c.get("e2e_default_settings")
        if default and (default["compliant"] != c["compliant"] or default["unknown"]):
            example = (
                default["first_unknown"][0]["error"].rsplit("/", 1)[-1] if default["first_unknown"] else ""
            )
            section.notes.append(
                f"{c['name']}: with the default source timeout (10 s) `readout plan` answered "
                f"{default['status']} with {default['compliant']} compliant slots (the planner finds "
                f'{c["compliant"]}): {default["unknown"]} calendars unknown, e.g. "{example}"'
            )
    return section


def _startup(results: dict[str, Any]) -> Section:
    section = Section("Start-up (fresh interpreter)", ["command", "p50 s", "p95 s", "peak RSS MB"])
    for name, s in results.get("startup", {}).items():
        row = [
            name,
            f"{s['p50_ms'] / 1e3:.3f}",
            f"{s['p95_ms'] / 1e3:.3f}",
            f"{s['max_rss_bytes'] / 1e6:.0f}",
        ]
        section.rows.append(row)
    return section


def _growth(results: dict[str, Any]) -> Section:
    growth = results.get("growth") or []
    base = growth[0].get("base", "") if growth else ""
    section = Section(
        f"Growth: {base} plus busy blocks where the customer is closed (same answer): p50 ms (x first)",
        [
            "busy iv",
            "floor iv",
            "N log N",
            "planner",
            "planner core",
            "range-sub",
            "naive",
            "CP-SAT",
            "floor",
        ],
    )
    for g in growth:
        cells = [str(g["busy_intervals"]), str(g["floor_intervals"]), f"x{g['n_log_n_ratio']:.1f}"]
        for name in GROWN:
            cells.append(f"{g[name]['p50_ms']:.2f} (x{g[name]['growth']:.1f})" if name in g else "-")
        section.rows.append(cells)
    exponents = {n: r[n]["exponent"] for r in growth for n in GROWN if "exponent" in r.get(n, {})}
    if exponents:
        shown = ", ".join(f"{name} {k:.2f}" for name, k in exponents.items())
        section.notes.append(f"exponent k in t ~ N^k, first to largest size: {shown} (N log N here: ~1.1)")
    return section


def _recurrence(results: dict[str, Any]) -> Section:
    rows = results.get("recurrence") or []
    ages = list(rows[0]["ages"]) if rows else []
    section = Section(
        "Recurrence: parse_busy p50 ms by DTSTART age (parsing / the rest: expansion, filtering)",
        ["rule", *ages, "15y / new", "expansion 15y / new"],
    )
    for r in rows:
        cells = [r["kind"]]
        for age in ages:
            a = r["ages"][age]
            cells.append(
                f"{a['parse_busy']['p50_ms']:.1f} ({a['parse_only']['p50_ms']:.1f}/{a['expansion_ms']:.1f})"
            )
        section.rows.append([*cells, f"{r['ratio_total']:.2f}", f"{r['ratio_expansion']:.2f}"])
    return section


def _targets(results: dict[str, Any]) -> Section:
    section = Section("Targets", ["target", "goal", "measured", "met"])
    for t in results["targets"]:
        section.rows.append([t["target"], t["goal"], t["measured"], "yes" if t["met"] else "**NO**"])
        section.notes += [f"{t['target']}: {line}" for line in t.get("detail", [])]
    return section


def sections(results: dict[str, Any]) -> list[Section]:
    """Every table of a results document, in print order."""
    return [
        _peers(results),
        _parsing(results),
        _startup(results),
        _growth(results),
        _recurrence(results),
        _targets(results),
    ]


def print_sections(results: dict[str, Any], console: Console) -> None:
    for section in sections(results):
        if not section.rows:
            continue
        table = Table(title=section.title)
        for n, name in enumerate(section.header):
            table.add_column(name, justify="left" if n == 0 else "right")
        for row in section.rows:
            table.add_row(*(cell.replace("**NO**", "[bold red]NO[/]") for cell in row))
        console.print(table)
        for note in section.notes:
            console.print(f"  {note}", markup=False)


def markdown(results: dict[str, Any]) -> str:
    """The tables as GitHub Markdown."""
    out: list[str] = []
    for section in sections(results):
        if not section.rows:
            continue
        out += [f"**{section.title}**", ""]
        out.append("| " + " | ".join(section.header) + " |")
        out.append("|" + "|".join([":---", *["---:"] * (len(section.header) - 1)]) + "|")
        out += ["| " + " | ".join(row) + " |" for row in section.rows]
        out.append("")
        out += [f"- {note}" for note in section.notes]
        if section.notes:
            out.append("")
    return "\n".join(out)
