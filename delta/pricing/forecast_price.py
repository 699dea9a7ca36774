"""The spot-price predictor as the tuner's :class:`tuner.cost.CostModel`.

The tuner prices a candidate many times per plan, for holding times that change with the
plan it is trying.  A backtested forecast per call would be far too slow, so each spot
candidate is forecast once, over a reference horizon from the plan's start, and that
mean price and interval are scaled to any holding time with EC2's per-second billing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from delta.errors import PriceError
from delta.pricing.cost import billed_seconds
from delta.pricing.estimate import Estimator
from delta.pricing.history import to_iso
from tuner.cost import CostEstimate, CostModel, DeclaredPrice
from tuner.problem import CandidateSpec

#: Hours of price path each candidate is forecast over.
REFERENCE_HOURS = 24.0


@dataclass(frozen=True)
class _Quote:
    mean_price: float   # USD per hour over the reference horizon
    p10_ratio: float
    p90_ratio: float
    hazard_per_h: float | None
    az: str
    model: str


@dataclass(frozen=True)
class ForecastPrice:
    """Forecast spot prices for candidates; declared prices for everything else.

    Build it with :meth:`from_estimator`.  ``quotes`` maps (instance type, region) to the
    forecast; a candidate without one (on-demand, unknown type, no history) falls back
    to ``fallback``.
    """

    quotes: dict[tuple[str, str], _Quote]
    start_iso: str
    fallback: CostModel = field(default_factory=DeclaredPrice)

    @classmethod
    def from_estimator(cls, estimator: Estimator, candidates: Iterable[CandidateSpec],
                       start: float, product: str = "Linux/UNIX",
                       hours: float = REFERENCE_HOURS) -> tuple[ForecastPrice, list[str]]:
        """Forecast every spot candidate once; returns the model and notes for the plan."""
        quotes: dict[tuple[str, str], _Quote] = {}
        notes = []
        for c in candidates:
            if c.market != "spot" or (c.instance_type, c.region) in quotes:
                continue
            try:
                e = estimator.estimate(c.instance_type, product, start, hours, region=c.region)
            except PriceError as exc:
                notes.append(f"{c.id}: no spot forecast ({exc.message}); declared price used")
                continue
            quotes[(c.instance_type, c.region)] = _Quote(
                mean_price=e.mean_price, p10_ratio=e.p10_usd / e.expected_usd,
                p90_ratio=e.p90_usd / e.expected_usd, hazard_per_h=e.hazard_per_h,
                az=e.az, model=e.model)
            notes.append(f"{c.id}: spot ${e.mean_price:.4f}/h forecast in {e.az} "
                         f"({e.model}, from {to_iso(start)})")
        return cls(quotes, to_iso(start)), notes

    def estimate(self, candidate: CandidateSpec, hours: float) -> CostEstimate | None:
        q = self.quotes.get((candidate.instance_type, candidate.region))
        if q is None:
            return self.fallback.estimate(candidate, hours)
        usd = q.mean_price * billed_seconds(hours * 3600.0) / 3600.0
        if q.hazard_per_h is None:
            declared = self.fallback.estimate(candidate, hours)
            p_int = declared.p_interrupt if declared is not None else 0.0
        else:
            p_int = 1.0 - math.exp(-q.hazard_per_h * hours)
        return CostEstimate(usd, usd * q.p10_ratio, usd * q.p90_ratio, p_int)
