"""FedProx: FedAvg on the server, a proximal term ``mu/2 ||w - w_global||^2`` at the client."""

from __future__ import annotations

from delta.fl.aggregation.fedavg import FedAvg, Weighting


class FedProx(FedAvg):
    """FedAvg whose training tasks add the proximal term with weight ``mu``.

    The proximal term keeps heterogeneous local work (many epochs on fast endpoints, one
    on slow ones) from drifting apart (Li et al., 2020).
    """

    name = "fedprox"

    def __init__(self, mu: float = 0.01, weighting: Weighting = "samples", *,
                 staleness_exponent: float = 0.5):
        super().__init__(weighting, staleness_exponent=staleness_exponent)
        if not mu >= 0:
            raise ValueError(f"mu must be non-negative, got {mu}")
        self.mu = float(mu)

    def task_options(self) -> dict[str, float]:
        return {"prox_mu": self.mu}
