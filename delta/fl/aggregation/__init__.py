"""Aggregation strategies: pure functions over lists of numpy arrays."""

from __future__ import annotations

from delta.fl.aggregation.base import (Aggregator, EagerFold, Update, rebase,
                                       staleness_discount, weighted_average)
from delta.fl.aggregation.fedavg import FedAvg
from delta.fl.aggregation.fedprox import FedProx

__all__ = ["Aggregator", "EagerFold", "FedAvg", "FedProx", "Update", "make_aggregator",
           "rebase", "staleness_discount", "weighted_average"]


def make_aggregator(name: str, *, weighting: str = "samples", mu: float = 0.01,
                    staleness_exponent: float = 0.5) -> Aggregator:
    """``fedavg`` or ``fedprox`` by name."""
    if name == "fedavg":
        return FedAvg(weighting, staleness_exponent=staleness_exponent)  # type: ignore[arg-type]
    if name == "fedprox":
        return FedProx(mu, weighting,  # type: ignore[arg-type]
                       staleness_exponent=staleness_exponent)
    raise ValueError(f"unknown aggregation {name!r} (use fedavg or fedprox)")
