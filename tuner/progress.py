"""A learning-progress proxy for a round (pure).

Each site's data is worth its share of all data (FedAvg weights updates by samples).  A
site contributes its coverage — the fraction of its requested samples trained on —
times a diminishing return in epochs, ``log(1 + epochs) / log(1 + round epochs)``.  So a
uniform round scores 1.0; a site that sits out scores 0 (and the plan says so); cutting
epochs 10→2 keeps 46% of a site's value while cutting samples to 20% keeps 20%, in line
with PerCom 2023 (cutting samples hurts more than cutting epochs; aggregate often).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray


def site_progress(samples: NDArray, epochs: NDArray, requested: NDArray,
                  round_epochs: int) -> NDArray:
    """Each site's value for this round, 1.0 at the requested samples and epochs."""
    coverage = samples / np.maximum(requested, 1)
    return coverage * np.log1p(epochs) / math.log1p(round_epochs)


def progress(samples: NDArray, epochs: NDArray, requested: NDArray, held: NDArray,
             round_epochs: int) -> float:
    """Data-weighted mean of :func:`site_progress`; 1.0 for the uniform round."""
    weight = held / max(float(np.sum(held)), 1.0)
    return float(np.sum(weight * site_progress(samples, epochs, requested, round_epochs)))
