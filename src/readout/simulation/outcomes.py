"""The run's report (``readout.services.outcomes.measure``, the same measures ``readout report`` gives on the
store the run leaves) and the distributions the plots draw, read from the store through the ports."""

from __future__ import annotations

from collections import Counter
from typing import Any

from readout.domain.exception_requests import Decision
from readout.domain.lifecycle import State
from readout.services.context import Deps

__all__ = ["distributions", "measure_json"]


def measure_json(deps: Deps) -> dict[str, Any]:
    """``measure(deps).to_json()`` over the whole store: every period, every customer."""
    from readout.services.outcomes import measure

    result: dict[str, Any] = measure(deps, start=None, end=None, customer=None).to_json()
    return result


def distributions(deps: Deps) -> dict[str, Any]:
    """Per escalation: hours from RCA approval to the first viable slot (a ready plan or an approved
    exception); exception causes counted once per escalation; end states."""
    hours: list[float] = []
    causes: Counter[str] = Counter()
    states: Counter[str] = Counter()
    with deps.look() as uow:
        for esc in uow.escalations.list():
            states[esc.state.value] += 1
            requests = uow.exceptions.of(esc.id)
            approved = [r.decided_at for r in requests if r.decision is Decision.APPROVED and r.decided_at]
            viable = [t for t in (esc.first_viable_at, *approved) if t is not None]
            if viable and esc.approved_at is not None:
                hours.append((min(viable) - esc.approved_at).total_seconds() / 3600)
            for cause in sorted({c for r in requests for c in r.causes}):
                causes[cause] += 1
            if requests and not any(r.causes for r in requests):
                causes["(none alone: deadline at risk)"] += 1
    return {
        "hours_to_viable": sorted(round(h, 3) for h in hours),
        "causes": dict(sorted(causes.items())),
        "states": dict(sorted(states.items())),
        "confirmed": states.get(State.CONFIRMED.value, 0),
    }
