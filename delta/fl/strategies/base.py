"""Round strategies: who trains how many samples and epochs, and the round's deadline.

A strategy is pure: it reads the testbed and the observations so far and returns a
:class:`RoundPlan`.  The controller dispatches it, and feeds what happened back in as
observations for the next round.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from delta.config import Testbed
from delta.observations import Observation


@dataclass(frozen=True)
class EndpointTask:
    """One data site's share of a round; it trains on ``runs_on`` (``None``: at the site)."""

    endpoint: str
    samples: int
    epochs: int
    batch_size: int
    predicted_p90_s: float | None = None
    runs_on: str | None = None

    @property
    def host(self) -> str:
        """The endpoint whose executor trains this task."""
        return self.runs_on or self.endpoint


@dataclass(frozen=True)
class RoundPlan:
    """A round: the tasks, the deadline (``None``: wait for everyone) and why.

    A task whose ``runs_on`` is another endpoint needs the site's data there: the
    controller moves it once (the first round that asks) and keeps it there.  A late
    task's duration is still measured when its device reports it (emulated devices do),
    so a round closed by quorum still teaches the planner every endpoint's speed.
    """

    tasks: tuple[EndpointTask, ...]
    deadline_s: float | None = None
    notes: tuple[str, ...] = ()
    #: Without a deadline, close the round at ``(1 + quorum_margin)`` x the arrival of
    #: the ``min_participants``-th update (``None``: wait for everyone).
    quorum_margin: float | None = None


class Strategy:
    """Base of round strategies; :meth:`plan` is the one method to implement."""

    name = "base"

    def plan(self, testbed: Testbed, observations: Sequence[Observation],
             round_index: int) -> RoundPlan:
        raise NotImplementedError

    def round_finished(self, observations: Sequence[Observation]) -> None:
        """Hook: the round's tasks, once stored. Does nothing by default."""

    def resume(self, rounds: Sequence[dict[str, Any]]) -> None:
        """Hook: the rounds a resumed run already recorded. Does nothing by default."""

    def busy(self, busy_s: Mapping[str, float]) -> None:
        """Hook, before :meth:`plan`: the devices still busy with last round's late tasks
        and for how many seconds into the round (their next task queues behind). Does
        nothing by default."""


def local_samples(testbed: Testbed) -> dict[str, int]:
    """``round.samples`` capped by what each endpoint holds (endpoints without data omitted)."""
    return {e.id: min(testbed.round.samples, e.data.samples)
            for e in testbed.endpoints if e.data.samples > 0}
