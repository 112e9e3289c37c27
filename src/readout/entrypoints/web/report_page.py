"""The outcomes page (``/report``): the measures of docs/outcomes.md with charts, for signed-in viewers.

The page asks ``services.outcomes.measure`` what ``readout report`` and ``GET /v1/report`` answer, over the
period and customer of its form (a plain GET form: no script). Each chart is inline SVG drawn here, on the
server, with a title and a description, and the same numbers follow it as a table (the text alternative).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from readout.entrypoints.http.auth import request_deps
from readout.entrypoints.web.signin import Viewer
from readout.entrypoints.web.templating import page
from readout.services.outcomes import DEFINITIONS, InvalidPeriod, duration_text, measure

__all__ = ["Bar", "Chart", "bar_chart", "router"]

router = APIRouter(include_in_schema=False)

_WIDTH, _LABEL, _ROW, _GAP = 720, 290, 26, 8  # SVG geometry: total width, label column, bar height, gap


@dataclass(frozen=True)
class Bar:
    """One bar of a horizontal bar chart, placed: label, the value's words, and its rectangle."""

    label: str
    words: str
    y: int
    width: float
    kind: str  # CSS class of the bar (its colour); the words carry the meaning, never colour alone


@dataclass(frozen=True)
class Chart:
    """A horizontal bar chart ready to draw: an id for its title and description, and the bars."""

    key: str
    title: str
    description: str
    bars: tuple[Bar, ...]
    height: int
    label_width: int = _LABEL
    width: int = _WIDTH
    row: int = _ROW

    @property
    def plot_width(self) -> int:
        return self.width - self.label_width - 90  # room on the right for the value's words


def bar_chart(key: str, title: str, rows: list[tuple[str, float, str, str]], description: str) -> Chart:
    """A chart of ``rows`` (label, value, words, kind); bars scaled to the largest value."""
    top = max((value for _, value, _, _ in rows), default=0) or 1
    chart = Chart(key, title, description, (), len(rows) * (_ROW + _GAP) + _GAP)
    bars = tuple(
        Bar(label, words, _GAP + i * (_ROW + _GAP), value / top * chart.plot_width, kind)
        for i, (label, value, words, kind) in enumerate(rows)
    )
    return Chart(key, title, description, bars, chart.height)


def _day(text: str, field: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidPeriodText(f"{field} {text!r} is not a date: write YYYY-MM-DD") from None


class InvalidPeriodText(ValueError):
    """A date in the form that is not YYYY-MM-DD."""


def _charts(report: dict[str, Any]) -> list[Chart]:
    overall, customers = report["overall"], report["customers"]
    viable = overall["time_to_viable"]
    spread = [
        (f"{name} ({stat})", viable[key][f"{stat}_s"] or 0, duration_text(viable[key][f"{stat}_s"]), key)
        for key, name in (("total", "total"), ("machine", "machine"), ("human_wait", "human wait"))
        for stat in ("median", "p90")
    ]
    causes = overall["escalation_causes"]
    deadlines = overall["deadlines"]
    first = [
        (name, (m["first_pass"]["share"] or 0) * 100, _share(m["first_pass"]), "share")
        for name, m in customers.items()
    ]
    return [
        bar_chart(
            "viable",
            "Time from RCA approval to the first viable slot",
            spread,
            f"Over {_count(viable['reached'], 'escalation')} that reached a viable slot "
            f"({viable['not_yet']} not yet): "
            + "; ".join(f"{label}: {words}" for label, _, words, _ in spread),
        ),
        bar_chart(
            "first-pass",
            "Readouts confirmed without back-and-forth, per customer",
            first,
            "; ".join(f"{label}: {words}" for label, _, words, _ in first) or "no customer in the period",
        ),
        bar_chart(
            "causes",
            "Escalations by cause (each escalation once per cause)",
            [(cause, n, str(n), "cause") for cause, n in causes["by_cause"].items()],
            f"{_count(causes['escalated'], 'escalation')}; "
            + "; ".join(f"{cause}: {n}" for cause, n in causes["by_cause"].items() if n),
        ),
        bar_chart(
            "deadlines",
            "Deadlines",
            [
                (label, deadlines[key], str(deadlines[key]), kind)
                for label, key, kind in (
                    ("met", "met", "met"),
                    ("missed: confirmed late", "missed_confirmed_late", "missed"),
                    ("missed: still open", "missed_still_open", "missed"),
                    ("missed: cancelled after it", "missed_then_cancelled", "missed"),
                    ("pending", "pending", "pending"),
                    ("cancelled", "cancelled", "cancelled"),
                )
            ],
            f"met {deadlines['met']}, missed {deadlines['missed']}, pending {deadlines['pending']}, "
            f"cancelled before the deadline {deadlines['cancelled']}",
        ),
    ]  # fmt: skip


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _share(first: dict[str, Any]) -> str:
    if first["share"] is None:
        return "none confirmed"
    return f"{first['share']:.0%} ({first['without_back_and_forth']} of {first['confirmed']})"


@router.get("/report", response_class=HTMLResponse)
def report_page(
    request: Request,
    who: Viewer,
    start: Annotated[str, Query(alias="from", max_length=40)] = "",
    end: Annotated[str, Query(alias="to", max_length=40)] = "",
    customer: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    """The four measures over the form's period and customer, with charts and their tables."""
    form = {"from": start, "to": end, "customer": customer}
    try:
        report = measure(
            request_deps(request), start=_day(start, "from"), end=_day(end, "to"), customer=customer or None
        ).to_json()
    except (InvalidPeriodText, InvalidPeriod) as error:
        failed = {"form": form, "error": str(error).replace("--from", "from").replace("--to", "to")}
        return page(request, "report.html", failed, status_code=422)
    context: dict[str, Any] = {
        "form": form,
        "report": report,
        "charts": _charts(report),
        "definitions": DEFINITIONS,
        "duration": duration_text,
        "share": _share,
    }
    return page(request, "report.html", context)
