"""An auditor reads "agent X, on behalf of Y" wherever the trail is shown: `readout audit show`, the HTML
export and the web audit page share the wording of presentation/audit.py."""

from __future__ import annotations

from io import StringIO

from rich.console import Console

from readout.entrypoints.workflow_report import render_audit
from readout.presentation.audit import actor_text, html_report
from readout.services import holding
from readout.services.context import Deps
from readout.services.queries import audit_trail
from tests.mcp.conftest import AGENT
from tests.services.flows import EM, GLOBEX, GLOBEX_ID, Desk


def test_the_agents_hold_reads_as_on_behalf_of_its_principal(desk: Desk, deps: Deps) -> None:
    desk.open(GLOBEX)
    holding.hold_slots(deps, GLOBEX_ID, AGENT)
    entries = audit_trail(deps, GLOBEX_ID)
    held = next(e for e in entries if e.actor == AGENT)
    assert held.payload["on_behalf_of"] == EM
    assert actor_text(held.actor, held.payload) == f"{AGENT} (agent, on behalf of {EM})"
    opened = entries[0]
    assert actor_text(opened.actor, opened.payload) == EM  # a person is just named

    out = StringIO()
    render_audit(Console(file=out, width=250), entries)
    assert f"on behalf of {EM}" in out.getvalue()

    report = html_report(
        GLOBEX_ID, entries, "America/Mexico_City", [], (entries[-1].seq, entries[-1].hash), held.at
    )
    assert f"{AGENT} (agent, on behalf of {EM})" in report
