"""The worker's sweep over due effects on PostgreSQL passes over escalations another transaction holds (so that
several workers share the work), while a command's own sweep over its escalation waits for them as before."""

from __future__ import annotations

import pytest

from readout.adapters.sql import SqlUnitOfWork
from readout.domain.effects import Effect, EffectKind
from tests.adapters.sql.builders import at, escalation
from tests.support.db_fixtures import Store


def _due(escalation_id: str, n: int) -> Effect:
    return Effect(
        0, escalation_id, EffectKind.RELEASE_HOLD, f"release:{escalation_id}:{n}", {"hold": n}, at(3)
    )


@pytest.mark.parametrize("sql_uow_factory", ["postgresql"], indirect=True)
def test_a_sweep_skips_the_escalations_another_worker_holds_whole(sql_uow_factory: Store) -> None:
    with sql_uow_factory() as uow:
        for esc_id in ("ESC-1", "ESC-2"):
            uow.escalations.add(escalation(esc_id))
            for n in (1, 2):
                uow.effects.add(_due(esc_id, n))
        uow.commit()
    assert sql_uow_factory.engine is not None

    with SqlUnitOfWork(sql_uow_factory.engine) as claiming:  # another worker claiming one of ESC-1's effects
        assert claiming.escalations.get("ESC-1") is not None  # takes its row lock
        with SqlUnitOfWork(sql_uow_factory.engine) as sweeping:
            swept = sweeping.effects.due(at(4))
        assert [(e.escalation_id, e.key) for e in swept] == [
            ("ESC-2", "release:ESC-2:1"),
            ("ESC-2", "release:ESC-2:2"),
        ]

    with SqlUnitOfWork(sql_uow_factory.engine) as sweeping:  # let go: the next sweep finds everything
        assert len(sweeping.effects.due(at(4))) == 4
        assert len(sweeping.effects.due(at(4), "ESC-1")) == 2  # one escalation's: nothing skipped
