"""The profiler's experiment design behind the ``SuggestExperiments`` RPC."""

from __future__ import annotations

from collections.abc import Sequence

from delta.observations import Observation
from delta.profiling import suggest_records
from delta.service.backends import Candidate


class ProfilerDesigner:
    """Chooses the candidates that most reduce predictive uncertainty (profiler.suggest).

    An endpoint with no observations is calibrated from the fleet's hardware prior.
    """

    def suggest(self, observations: Sequence[Observation], candidates: Sequence[Candidate],
                n: int) -> Sequence[int]:
        records = [Observation(endpoint=c.endpoint, seconds=0.0, samples=c.samples,
                               epochs=c.epochs, batch_size=c.batch_size, threads=c.threads)
                   for c in candidates]
        return suggest_records(observations, records, n)
