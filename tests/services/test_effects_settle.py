"""Two commands on one escalation at once each carry out its due effects: a command reports an effect another
process is carrying out at that moment once that process has finished, not as pending (within a short wait)."""

from __future__ import annotations

import threading
import time

from readout.domain.effects import EffectStatus
from readout.services.effects import LEASE, effects_of
from readout.services.holding import hold_slots
from tests.services.flows import EM, GLOBEX, GLOBEX_ID, Desk


def _in_flight_elsewhere(desk: Desk) -> int:
    """Hold, then put the first placing back in flight, as if another process had just claimed it."""
    outcome = hold_slots(desk.deps, GLOBEX_ID, EM)
    effect = outcome.effects[0]
    with desk.deps.uow() as uow:
        uow.effects.update(effect.claimed(desk.clock(), LEASE))
        uow.commit()
    return effect.id


def test_an_effect_another_process_finishes_meanwhile_is_reported_done(desk: Desk) -> None:
    desk.open(GLOBEX)
    effect_id = _in_flight_elsewhere(desk)

    def the_other_process() -> None:
        time.sleep(0.3)
        with desk.deps.uow() as uow:
            claimed = uow.effects.get(effect_id)
            assert claimed is not None
            uow.effects.update(claimed.done(desk.clock(), {"ledger_only": True}))
            uow.commit()

    other = threading.Thread(target=the_other_process)
    other.start()
    (reported,) = effects_of(desk.deps, [effect_id])
    other.join()

    assert reported.status is EffectStatus.DONE


def test_an_effect_still_in_flight_after_the_wait_is_reported_as_it_stands(desk: Desk) -> None:
    desk.open(GLOBEX)
    effect_id = _in_flight_elsewhere(desk)

    started = time.monotonic()
    (reported,) = effects_of(desk.deps, [effect_id], wait=0.2)

    assert reported.status is EffectStatus.IN_FLIGHT  # never claimed done: the command says it is pending
    assert time.monotonic() - started < 2
