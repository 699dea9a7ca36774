"""The other endpoints, summarised once so that leaving one out costs O(1).

Every endpoint's prior is learned from the *other* endpoints.  Refitting that summary per
endpoint made a refit quadratic in the fleet; instead :class:`Fleet` keeps the centred
moments of the whole fleet (shapes of the law, log speeds, hardware features, run noise)
and removes one endpoint from them by an exact downdate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from profiler.prior import HardwarePrior, ridge_to_heuristic


@dataclass(frozen=True)
class FleetView:
    """What the prior needs of a set of endpoints (the fleet, or all but one of it)."""

    m: int
    shape: NDArray  #: mean shape of the law (work terms per unit of speed)
    shape_var: NDArray | float  #: its unbiased variance (0 for one endpoint)
    mean_log_scale: float
    hw_coef: NDArray  #: hardware law: log speed ~ hw_intercept + features @ hw_coef
    hw_intercept: float
    spread: float  #: log-speed spread around the hardware law
    noise: float  #: median run noise

    def log_scale(self, features: NDArray) -> NDArray:
        """Log characteristic runtime the hardware law predicts for ``features`` rows."""
        return self.hw_intercept + np.asarray(features, dtype=float).reshape(-1, 5) @ self.hw_coef


class Fleet:
    """Moments of ``m`` endpoints' fitted laws, with exact leave-one-out views.

    Parameters
    ----------
    coefs:
        ``(m, d)`` fitted coefficients.
    log_scales:
        ``(m,)`` log characteristic runtimes.
    features:
        ``(m, 5)`` hardware features (:func:`profiler.prior.hardware_features`).
    sigmas:
        ``(m,)`` relative run noise of each fit.
    scaled:
        Which coefficients scale with an endpoint's speed.
    alpha:
        Ridge strength of the hardware law (:class:`profiler.prior.HardwarePrior`).
    """

    def __init__(self, coefs: NDArray, log_scales: NDArray, features: NDArray,
                 sigmas: NDArray, scaled: NDArray, alpha: float = HardwarePrior().alpha):
        self.m = len(log_scales)
        self.alpha = alpha
        self.log_scales = np.asarray(log_scales, dtype=float)
        shapes = coefs * np.where(scaled, np.exp(-self.log_scales)[:, None], 1.0)
        self._shape_mean = shapes.mean(axis=0)
        self._shape_dev = shapes - self._shape_mean
        self._shape_ss = (self._shape_dev**2).sum(axis=0)
        self._h_mean = features.mean(axis=0)
        self._h_dev = features - self._h_mean
        self._t_mean = float(self.log_scales.mean())
        self._t_dev = self.log_scales - self._t_mean
        self._gram = self._h_dev.T @ self._h_dev
        self._cross = self._h_dev.T @ self._t_dev
        self._t_ss = float(self._t_dev @ self._t_dev)
        self._sigmas = np.sort(np.asarray(sigmas, dtype=float))
        self._sigma = np.asarray(sigmas, dtype=float)

    def view(self, leave_out: int | None = None) -> FleetView:
        """The whole fleet, or (``leave_out``: a row index) all but one endpoint."""
        m = self.m
        shape, shape_ss = self._shape_mean, self._shape_ss
        h_mean, t_mean = self._h_mean, self._t_mean
        gram, cross, t_ss = self._gram, self._cross, self._t_ss
        if leave_out is not None:
            # Removing x from m values with mean mu and centred sum of squares S leaves
            # mean mu - (x - mu) / (m - 1) and S - (x - mu)^2 m / (m - 1); cross moments
            # alike.  Deviations from the whole fleet's mean keep this numerically tame.
            i, f = leave_out, m / (m - 1)
            ds, dh, dt = self._shape_dev[i], self._h_dev[i], self._t_dev[i]
            shape = np.maximum(shape - ds / (m - 1), 0.0)  # shapes are non-negative
            shape_ss = np.maximum(shape_ss - f * ds**2, 0.0)
            h_mean, t_mean = h_mean - dh / (m - 1), t_mean - dt / (m - 1)
            gram = gram - f * np.outer(dh, dh)
            cross = cross - f * dh * dt
            t_ss = t_ss - f * dt**2
            m -= 1
        coef, spread = ridge_to_heuristic(gram, cross, t_ss, m, self.alpha)
        return FleetView(m=m, shape=shape, shape_var=shape_ss / (m - 1) if m > 1 else 0.0,
                         mean_log_scale=t_mean, hw_coef=coef,
                         hw_intercept=float(t_mean - h_mean @ coef), spread=spread,
                         noise=self._median_sigma(leave_out))

    def _median_sigma(self, leave_out: int | None) -> float:
        s = self._sigmas
        if leave_out is None:
            return float(np.median(s))
        # The median of the sorted noise with one occurrence of this endpoint's removed.
        k = int(np.searchsorted(s, self._sigma[leave_out]))
        n = len(s) - 1
        lo, hi = (n - 1) // 2, n // 2
        a, b = s[lo + (lo >= k)], s[hi + (hi >= k)]
        return float(np.mean([a, b]))
