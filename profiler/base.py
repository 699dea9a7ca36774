"""What every runtime profile offers the tuner."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Quantiles:
    """A predicted duration in seconds as a distribution: 10th, 50th and 90th percentile."""

    p10: float
    p50: float
    p90: float

    def to_dict(self) -> dict[str, float]:
        return {"p10": round(self.p10, 4), "p50": round(self.p50, 4), "p90": round(self.p90, 4)}


class RuntimeProfile(Protocol):
    """A fitted runtime model of one endpoint for one task kind.

    Attributes
    ----------
    endpoint:
        The endpoint id.
    source:
        ``"observations"`` when fitted from the endpoint's own runs, ``"hardware prior"``
        when predicted from its hardware description alone.
    n_observations:
        How many of the endpoint's own observations the profile rests on.
    """

    endpoint: str
    source: str
    n_observations: int

    def predict(self, samples: int, epochs: int, batch_size: int) -> Quantiles:
        """The predicted duration of one training task."""
        ...

    def epoch_cost(self, samples: int, batch_size: int) -> tuple[float, float]:
        """``(overhead_s, seconds_per_epoch)`` at the median, for analytic balancing."""
        ...
