"""``uniform``: the same samples and epochs everywhere (FLoX's default)."""

from __future__ import annotations

from collections.abc import Sequence

from delta.config import Testbed
from delta.fl.strategies.base import EndpointTask, RoundPlan, Strategy, local_samples
from delta.observations import Observation


class Uniform(Strategy):
    """Every endpoint trains ``round.samples`` (capped by its data) for ``round.epochs``."""

    name = "uniform"

    def plan(self, testbed: Testbed, observations: Sequence[Observation],
             round_index: int) -> RoundPlan:
        r = testbed.round
        return RoundPlan(
            tasks=tuple(EndpointTask(ep, n, r.epochs, r.batch_size)
                        for ep, n in local_samples(testbed).items()),
            deadline_s=r.deadline_s,
        )
