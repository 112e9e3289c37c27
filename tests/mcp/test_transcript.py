"""docs/agents.md shows what a run of the agent on the Initech case shows (tests/mcp/transcript.py), and the run
stops where a person must decide: the agent could neither hold nor raise another request, and the trail has
no decision by it."""

from __future__ import annotations

from tests.mcp.transcript import BEGIN, END, transcript
from tests.services.flows import ROOT


def test_the_doc_shows_a_real_run_up_to_a_persons_decision() -> None:
    shown = transcript()
    doc = (ROOT / "docs" / "agents.md").read_text()
    assert BEGIN in doc
    assert END in doc
    assert doc.split(BEGIN, 1)[1].split(END, 1)[0].strip() == shown.strip()
    assert "Omar Haddad must decide it (a person, never an agent)" in shown
    assert "← ERROR Error executing tool place_holds" in shown
    # in the agent's words: its own tools, and what is left to people (no CLI commands)
    assert "tools that act now: replan; left to a person: approve, reject, cancel" in shown
    assert "`readout" not in shown
    assert "Near miss, needs a waiver: outside support coverage hours (COVERAGE)" in shown
