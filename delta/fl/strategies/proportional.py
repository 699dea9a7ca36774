"""``proportional``: hand balancing by declared hardware (as FLoX's Table 3).

Epochs go in proportion to each endpoint's declared compute capacity, scaled so the round
does the same sample-epochs as ``uniform``.  It trusts the hardware description: when the
description is wrong or uninformative, so is the balance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from delta.config import Testbed
from delta.fl.strategies.base import EndpointTask, RoundPlan, Strategy, local_samples
from delta.observations import Observation
from delta.planning import hardware_spec


class Proportional(Strategy):
    """Epochs proportional to declared capacity (clock x sqrt(cores)), same total work."""

    name = "proportional"

    def plan(self, testbed: Testbed, observations: Sequence[Observation],
             round_index: int) -> RoundPlan:
        r = testbed.round
        samples = local_samples(testbed)
        capacity = {e.id: hardware_spec(e.hardware).capacity() for e in testbed.endpoints}
        target = r.epochs * sum(samples.values())
        scale = target / sum(samples[ep] * capacity[ep] for ep in samples)
        hi = r.max_epochs if r.max_epochs is not None else math.inf
        tasks = tuple(
            EndpointTask(ep, n, int(min(hi, max(r.min_epochs, round(scale * capacity[ep])))),
                         r.batch_size)
            for ep, n in samples.items()
        )
        return RoundPlan(tasks=tasks, deadline_s=r.deadline_s)
