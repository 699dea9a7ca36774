"""``delta``: the tuner's plan from learned profiles, re-planned every round.

Each round refits the profiles from every observation so far (the closed loop) and asks
the planner for samples and epochs.  The round deadline is the plan's slowest p90 plus a
margin once every endpoint's profile rests on its own runs; before that, the testbed's
deadline (if any) applies.  An optional calibration round first measures every endpoint
with ``min_epochs``, a short round that still trains.  Tasks train where the data is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from delta.config import Testbed
from delta.fl.strategies.base import EndpointTask, RoundPlan, Strategy, local_samples
from delta.observations import Observation
from delta.planning import plan_testbed


#: Plans one round: (testbed, observations) -> the plan JSON (``docs/contracts.md``).
Planner = Callable[[Testbed, Sequence[Observation]], dict[str, Any]]


def local_planner(testbed: Testbed, observations: Sequence[Observation]) -> dict[str, Any]:
    """Plan in this process (the default)."""
    return plan_testbed(testbed, observations).to_dict()


class Tuned(Strategy):
    """DELTA's own strategy.

    Parameters
    ----------
    margin:
        The deadline is ``(1 + margin)`` times the plan's largest p90.
    calibrate:
        Run a calibration round (``min_epochs`` everywhere) while some endpoint has no
        observations.
    planner:
        Who plans: :func:`local_planner`, or a shared DELTA service
        (:class:`delta.fl.strategies.service_planner.ServicePlanner`).
    """

    name = "delta"

    def __init__(self, *, margin: float = 0.5, calibrate: bool = False,
                 planner: Planner = local_planner):
        if margin < 0:
            raise ValueError(f"margin must be non-negative, got {margin}")
        self.margin = margin
        self.calibrate = calibrate
        self.planner = planner

    def plan(self, testbed: Testbed, observations: Sequence[Observation],
             round_index: int) -> RoundPlan:
        r = testbed.round
        seen = {o.endpoint for o in observations if o.ok and o.task == "train"}
        samples = local_samples(testbed)
        if self.calibrate and not set(samples) <= seen:
            return RoundPlan(
                tasks=tuple(EndpointTask(ep, n, r.min_epochs, r.batch_size)
                            for ep, n in samples.items()),
                deadline_s=r.deadline_s,
                notes=(f"calibration: {r.min_epochs} epoch(s) everywhere to measure endpoints "
                       "without observations",),
            )
        plan = self.planner(_where_the_data_is(testbed), observations)
        tasks = tuple(EndpointTask(a["endpoint"], a["samples"], a["epochs"], a["batch_size"],
                                   a["predicted_seconds"]["p90"]) for a in plan["assignments"])
        deadline = r.deadline_s
        if all(a["profile"] == "observations" for a in plan["assignments"]):
            learned = (1.0 + self.margin) * max(t.predicted_p90_s or 0.0 for t in tasks)
            deadline = learned if deadline is None else min(deadline, learned)
        return RoundPlan(tasks=tasks, deadline_s=deadline, notes=tuple(plan["notes"]))

    def round_finished(self, observations: Sequence[Observation]) -> None:
        report = getattr(self.planner, "report", None)
        if report is not None and observations:
            report(observations)


def _where_the_data_is(testbed: Testbed) -> Testbed:
    """The testbed as a run carries it out: data pinned, no cloud.

    A round trains where the data is: moving data (to a cloud instance or another
    endpoint) is ``delta plan``'s advice, not something a run carries out.
    """
    endpoints = [e.model_copy(update={"data": e.data.model_copy(update={"movable": False})})
                 for e in testbed.endpoints]
    return testbed.model_copy(update={"endpoints": endpoints, "cloud": []})
