"""What the servicer needs from the spot-price predictor and the experiment designer.

Both are injected into :class:`delta.service.servicer.DeltaServicer`; when one is not
configured the matching RPC answers ``FAILED_PRECONDITION`` with a message saying so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from delta.observations import Observation


@dataclass(frozen=True, slots=True)
class CostForecast:
    """Expected cost of running one instance for some hours.

    ``mean_price`` is USD per hour over the window; ``p_interrupt`` the probability of a
    spot interruption within it; ``az`` the zone the forecast is for (the cheapest of the
    region when a region was asked); ``model`` names the forecaster.
    """

    expected_usd: float
    p10_usd: float
    p90_usd: float
    mean_price: float
    p_interrupt: float
    az: str
    model: str


@dataclass(frozen=True, slots=True)
class Candidate:
    """A configuration that could be measured next."""

    endpoint: str
    samples: int
    epochs: int
    batch_size: int = 0
    threads: int = 0


class CostForecaster(Protocol):
    """The spot-price predictor as the service calls it."""

    def forecast_cost(self, *, instance_type: str, az: str | None, region: str | None,
                      product: str, start: datetime, hours: float) -> CostForecast:
        """Raise a :class:`~delta.errors.DeltaError` for an unknown type, zone or product."""
        ...


class ExperimentDesigner(Protocol):
    """The profiler's experiment design as the service calls it."""

    def suggest(self, observations: Sequence[Observation], candidates: Sequence[Candidate],
                n: int) -> Sequence[int]:
        """Indices into ``candidates`` of the ``n`` most informative, best first."""
        ...
