"""Per-endpoint profiles: fitted from observations, or from the hardware prior."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from profiler.base import Quantiles
from profiler.hardware import HardwareSpec
from profiler.linear import WorkLinearModel

_Z90 = 1.2815515655446004
#: Seconds per sample-epoch of the default small model on one unit of capacity
#: (1 GHz, 1 core); only used when no endpoint has any observation yet.
REFERENCE_K = 2.0e-4
REFERENCE_OVERHEAD_S = 2.0
#: Log-scale spread of a prior that rests on no observations at all.
UNCALIBRATED_SIGMA = 1.0


@dataclass(frozen=True)
class LinearProfile:
    """An endpoint's runtime as ``overhead + k * samples * epochs`` with a relative spread."""

    endpoint: str
    overhead: float
    k: float
    sigma: float
    source: str
    n_observations: int
    model: WorkLinearModel | None = None

    def predict(self, samples: int, epochs: int, batch_size: int) -> Quantiles:
        if self.model is not None:
            q = self.model.predict_quantiles([[samples, epochs]])[0]
            return Quantiles(float(q[0]), float(q[1]), float(q[2]))
        p50 = self.overhead + self.k * samples * epochs
        return Quantiles(p50 * float(np.exp(-_Z90 * self.sigma)), p50,
                         p50 * float(np.exp(_Z90 * self.sigma)))

    def epoch_cost(self, samples: int, batch_size: int) -> tuple[float, float]:
        return self.overhead, self.k * samples


def fit_profiles(
    observations: Iterable, hardware: Mapping[str, HardwareSpec], task: str = "train"
) -> dict[str, LinearProfile]:
    """Fit one profile per endpoint named in ``hardware``.

    Endpoints with successful observations of ``task`` are fitted from them; the others
    get a prior from their hardware, scaled from the fitted endpoints' capacity-normalised
    rates (or from a reference constant when nothing has been observed anywhere).
    """
    by_endpoint: dict[str, list] = defaultdict(list)
    for o in observations:
        if o.task == task and o.ok and o.seconds > 0 and o.samples > 0 and o.epochs > 0:
            by_endpoint[o.endpoint].append(o)

    profiles: dict[str, LinearProfile] = {}
    for ep, obs in by_endpoint.items():
        if ep not in hardware:
            continue
        X = [[o.samples, o.epochs] for o in obs]
        m = WorkLinearModel().fit(X, [o.seconds for o in obs])
        profiles[ep] = LinearProfile(ep, m.overhead_, m.k_, m.sigma_, "observations", m.n_obs_, m)

    if profiles:
        norm = np.log([p.k * hardware[ep].capacity() for ep, p in profiles.items()])
        k_unit = float(np.exp(np.median(norm)))
        overhead = float(np.median([p.overhead for p in profiles.values()]))
        spread = float(np.std(norm)) if len(norm) > 1 else 0.5
        sigma = float(np.hypot(spread, 0.25))
    else:
        k_unit, overhead, sigma = REFERENCE_K, REFERENCE_OVERHEAD_S, UNCALIBRATED_SIGMA
    for ep, hw in hardware.items():
        if ep not in profiles:
            profiles[ep] = LinearProfile(ep, overhead, k_unit / hw.capacity(), sigma,
                                         "hardware prior", 0)
    return profiles
