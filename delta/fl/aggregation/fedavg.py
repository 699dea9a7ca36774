"""FedAvg: the average of updates, weighted by samples (FLoX), sample-epochs, or equally."""

from __future__ import annotations

from typing import Literal

from delta.fl.aggregation.base import Aggregator

Weighting = Literal["samples", "sample_epochs", "equal"]


class FedAvg(Aggregator):
    """Weighted FedAvg.

    Parameters
    ----------
    weighting:
        ``samples`` (McMahan et al.; FLoX), ``sample_epochs`` (an endpoint that trained
        more epochs counts more: fits plans that move epochs between endpoints), or
        ``equal``.
    staleness_exponent:
        A stale update (carried into a later round) counts ``(1 + staleness) ** -this``
        times its weight (:func:`~delta.fl.aggregation.base.staleness_discount`).
    """

    name = "fedavg"

    def __init__(self, weighting: Weighting = "samples", *, staleness_exponent: float = 0.5):
        if weighting not in ("samples", "sample_epochs", "equal"):
            raise ValueError(f"unknown weighting {weighting!r}")
        if not staleness_exponent >= 0:
            raise ValueError(f"staleness_exponent must be non-negative, got "
                             f"{staleness_exponent}")
        self.weighting = weighting
        self.staleness_exponent = float(staleness_exponent)

    def weight(self, samples: int, epochs: int) -> float:
        if self.weighting == "samples":
            return float(samples)
        if self.weighting == "sample_epochs":
            return float(samples) * float(epochs)
        return 1.0
