"""What compute costs: a small price Protocol and its default from declared prices.

The spot-price predictor (``delta.pricing``) implements :class:`CostModel` with forecast
prices and interruption bands; until it is wired in, :class:`DeclaredPrice` uses the
testbed's ``price_per_hour``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from tuner.problem import CandidateSpec

#: Default interruption hazard of a spot instance with no predictor: the spot advisor's
#: lowest band ("<5% per month"), as an hourly rate.  On-demand instances are never
#: interrupted (hazard 0).
SPOT_INTERRUPTS_PER_HOUR = 0.05 / 730.0


@dataclass(frozen=True, slots=True)
class CostEstimate:
    """The cost of holding an instance for a while.

    Attributes
    ----------
    usd, usd_p10, usd_p90:
        Expected dollars and the 10th/90th percentiles.
    p_interrupt:
        Probability that the instance is interrupted during that time.
    """

    usd: float
    usd_p10: float
    usd_p90: float
    p_interrupt: float


class CostModel(Protocol):
    """Prices a cloud candidate over a holding time."""

    def estimate(self, candidate: CandidateSpec, hours: float) -> CostEstimate | None:
        """The cost of holding ``candidate`` for ``hours``; ``None`` if it cannot be priced."""
        ...


@dataclass(frozen=True, slots=True)
class DeclaredPrice:
    """The testbed's ``price_per_hour``, billed per second, with a flat interruption hazard.

    Parameters
    ----------
    spot_interrupts_per_hour:
        Hazard rate for ``market: spot`` (on-demand is 0).
    """

    spot_interrupts_per_hour: float = SPOT_INTERRUPTS_PER_HOUR

    def estimate(self, candidate: CandidateSpec, hours: float) -> CostEstimate | None:
        if candidate.price_per_hour is None:
            return None
        usd = candidate.price_per_hour * hours
        rate = self.spot_interrupts_per_hour if candidate.market == "spot" else 0.0
        return CostEstimate(usd, usd, usd, 1.0 - math.exp(-rate * hours))
