"""Aggregation strategies: pure functions over lists of numpy arrays."""

from __future__ import annotations

from delta.fl.aggregation.base import Aggregator, EagerFold, Update, weighted_average
from delta.fl.aggregation.fedavg import FedAvg
from delta.fl.aggregation.fedprox import FedProx

__all__ = ["Aggregator", "EagerFold", "FedAvg", "FedProx", "Update", "weighted_average",
           "make_aggregator"]


def make_aggregator(name: str, *, weighting: str = "samples", mu: float = 0.01) -> Aggregator:
    """``fedavg`` or ``fedprox`` by name."""
    if name == "fedavg":
        return FedAvg(weighting)  # type: ignore[arg-type]
    if name == "fedprox":
        return FedProx(mu, weighting)  # type: ignore[arg-type]
    raise ValueError(f"unknown aggregation {name!r} (use fedavg or fedprox)")
