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
    shape: NDArray  #: mean shape of the law (coefficients per unit of speed)
    shape_var: NDArray | float  #: its unbiased variance (0 for one endpoint)
    offset: NDArray  #: unscaled part of each coefficient (0 for the scaled ones)
    offset_var: NDArray  #: spread of the unscaled coefficients around their line
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

    Scaled coefficients (work) are proportional to an endpoint's speed ``s`` (its
    characteristic runtime): their shape is the mean of ``coef / s``.  The others (per-task
    overhead) are partly compute (start-up, tracing: proportional to ``s``) and partly
    fixed (dispatch): each is a line ``offset + shape * s`` across the fleet, fitted by
    least squares with a ridge towards proportionality (one pseudo-endpoint's worth), so
    one endpoint or identical ones give a proportional law and a spread fleet learns how
    much is fixed.

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
        self._scaled = np.asarray(scaled, dtype=bool)
        speed = np.exp(self.log_scales)
        shapes = coefs / speed[:, None]
        self._shape_mean = shapes.mean(axis=0)
        self._shape_dev = shapes - self._shape_mean
        self._shape_ss = (self._shape_dev**2).sum(axis=0)
        # Moments of the overhead lines: speed s against each coefficient c.
        self._s_mean, self._c_mean = float(speed.mean()), coefs.mean(axis=0)
        self._s_dev, self._c_dev = speed - self._s_mean, coefs - self._c_mean
        self._ss = float(self._s_dev @ self._s_dev)
        self._sc = self._s_dev @ self._c_dev
        self._cc = (self._c_dev**2).sum(axis=0)
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
        s_mean, c_mean, ss, sc, cc = self._s_mean, self._c_mean, self._ss, self._sc, self._cc
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
            dsp, dc = self._s_dev[i], self._c_dev[i]
            s_mean, c_mean = s_mean - dsp / (m - 1), c_mean - dc / (m - 1)
            ss, sc, cc = ss - f * dsp**2, sc - f * dsp * dc, cc - f * dc**2
            m -= 1
        coef, spread = ridge_to_heuristic(gram, cross, t_ss, m, self.alpha)
        slope, offset, offset_var = _overhead_lines(m, s_mean, c_mean, max(ss, 0.0), sc,
                                                    np.maximum(cc, 0.0))
        shape = np.where(self._scaled, shape, slope)
        offset = np.where(self._scaled, 0.0, offset)
        return FleetView(m=m, shape=shape, shape_var=shape_ss / (m - 1) if m > 1 else 0.0,
                         offset=offset, offset_var=np.where(self._scaled, 0.0, offset_var),
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


def _overhead_lines(m: int, s_mean: float, c_mean: NDArray, ss: float, sc: NDArray,
                    cc: NDArray) -> tuple[NDArray, NDArray, NDArray]:
    """Per coefficient ``c ~ offset + slope * s`` across ``m`` endpoints, from moments.

    Ridge towards proportionality (``slope = c_mean / s_mean``, no offset) with the weight
    of one endpoint at the mean speed; both parts kept non-negative.  Returns ``(slope,
    offset, offset_var)``, the last the residual variance (0 below three endpoints).
    """
    prop = c_mean / max(s_mean, 1e-300)
    lam = s_mean**2  # one pseudo-endpoint's worth of spread in speed
    slope = np.maximum((sc + lam * prop) / (ss + lam), 0.0)
    offset = c_mean - slope * s_mean
    # A negative offset means nothing is fixed: proportional through the origin instead.
    through_origin = offset < 0
    slope = np.where(through_origin, prop, slope)
    offset = np.where(through_origin, 0.0, offset)
    resid = np.maximum(cc - 2 * slope * sc + slope**2 * ss
                       + m * (c_mean - offset - slope * s_mean) ** 2, 0.0)
    return slope, offset, resid / (m - 2) if m > 2 else np.zeros_like(resid)
