"""The hardware prior: an endpoint's speed predicted from its hardware description.

Across the endpoints observed so far, the log of each endpoint's characteristic runtime
(its geometric-mean predicted time over a shared set of configurations) is regressed on
hardware features.  The regression is a ridge towards a physical heuristic (time inversely
proportional to clock and to the square root of cores), so one or two observed endpoints
already give a sensible ranking and many endpoints learn the real weights.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from profiler.estimator import BaseEstimator, RegressorMixin, check_is_fitted
from profiler.hardware import HardwareSpec

FEATURE_NAMES = ("log_clock_ghz", "log_cores", "log_memory_gb", "arm", "accelerator")
#: Log-time per unit of each feature before any endpoint is observed: time inversely
#: proportional to the clock and to the square root of the cores, and an accelerator
#: (which training frameworks use when present) about 1.6x faster.
HEURISTIC_WEIGHTS = (-1.0, -0.5, 0.0, 0.0, -0.5)
#: Log-scale spread of an endpoint's speed around the hardware prediction, before data.
DEFAULT_SPREAD = 0.5
#: Relative doubt about each coefficient of the law's shape beyond the endpoints' spread.
SHAPE_SPREAD = 0.5


def hardware_features(specs: Sequence[HardwareSpec]) -> NDArray:
    """``(n, 5)`` features (:data:`FEATURE_NAMES`) of hardware descriptions."""
    # Columns first, then vectorised: fleets of 100,000 endpoints are described at once.
    clock = np.fromiter((h.clock_ghz for h in specs), float, len(specs))
    cores = np.fromiter((h.cores for h in specs), float, len(specs))
    memory = np.fromiter((h.memory_gb for h in specs), float, len(specs))
    arm = np.fromiter((h.arch.lower().startswith(("arm", "aarch")) for h in specs), float,
                      len(specs))
    accel = np.fromiter((bool(h.accelerator) for h in specs), float, len(specs))
    return np.column_stack([np.log(np.maximum(clock, 1e-3)), np.log(np.maximum(cores, 1)),
                            np.log(np.maximum(memory, 1e-3)), arm, accel]).reshape(-1, 5)


def ridge_to_heuristic(gram: NDArray, cross: NDArray, t_ss: float, n: int,
                       alpha: float = 1.0) -> tuple[NDArray, float]:
    """The hardware law's weights and its residual spread from centred moments.

    ``gram = Hc.T @ Hc``, ``cross = Hc.T @ tc`` and ``t_ss = tc @ tc`` of centred features
    ``Hc`` and log runtimes ``tc`` of ``n`` endpoints (moments, so that a fleet can leave
    one endpoint out by a downdate instead of a refit).  Returns ``(coef, spread)``.
    """
    w0 = np.array(HEURISTIC_WEIGHTS)
    dw = np.linalg.solve(gram + alpha * np.eye(len(w0)), cross - gram @ w0)
    coef = w0 + dw
    resid_ss = max(float(t_ss - 2 * coef @ cross + coef @ gram @ coef), 0.0)
    k = 2.0  # pseudo-endpoints at the default spread
    return coef, float(np.sqrt((resid_ss + k * DEFAULT_SPREAD**2) / (n + k)))


class HardwarePrior(RegressorMixin, BaseEstimator):
    """Log characteristic runtime from hardware features, ridge towards a heuristic.

    ``X``: :func:`hardware_features` rows; ``y``: log characteristic seconds.

    Parameters
    ----------
    alpha:
        Ridge strength pulling the weights towards :data:`HEURISTIC_WEIGHTS`.

    Attributes
    ----------
    intercept_, coef_:
        The learned law ``y = intercept_ + X @ coef_``.
    spread_:
        Log-scale spread of an endpoint around the law (shrunk towards
        :data:`DEFAULT_SPREAD` when few endpoints are known).
    """

    def __init__(self, *, alpha: float = 1.0):
        self.alpha = alpha

    def fit(self, X: ArrayLike, y: ArrayLike) -> HardwarePrior:
        H = np.asarray(X, dtype=float).reshape(-1, len(FEATURE_NAMES))
        t = np.asarray(y, dtype=float).reshape(-1)
        if len(t) == 0 or len(t) != len(H):
            raise ValueError("need one log runtime per hardware row, at least one")
        # Centre so the intercept is free and the ridge acts on the weights only.
        Hc, tc = H - H.mean(axis=0), t - t.mean()
        self.coef_, self.spread_ = ridge_to_heuristic(Hc.T @ Hc, Hc.T @ tc, float(tc @ tc),
                                                      len(t), self.alpha)
        self.intercept_ = float(t.mean() - H.mean(axis=0) @ self.coef_)
        self.n_endpoints_ = len(t)
        return self

    def predict(self, X: ArrayLike) -> NDArray:
        check_is_fitted(self, "coef_")
        H = np.asarray(X, dtype=float).reshape(-1, len(FEATURE_NAMES))
        return self.intercept_ + H @ self.coef_


def own_log_scale(once: NDArray, unit_work: NDArray, y: NDArray,
                  start: float) -> tuple[float, float]:
    """The speed an endpoint's own runs show: ``y ~ once + exp(log_s) * unit_work``.

    Returns ``(log_s, sd)``: a Huber fit on a log scale (a preempted run must not drag
    the speed) and its standard error (the robust residual spread, shrunk towards 10%
    per run, over the square root of the count).
    """
    from scipy.optimize import minimize_scalar

    ly = np.log(y)
    c = 0.2  # Huber threshold on the log scale (~20%)

    def resid(ls: float) -> NDArray:
        return ly - np.log(np.maximum(once + np.exp(ls) * unit_work, 1e-12))

    def loss(ls: float) -> float:
        a = np.abs(resid(ls))
        return float(np.sum(np.where(a < c, a**2, 2 * c * a - c**2)))

    if not np.any(unit_work > 0):
        return start, 1e3
    ls = float(minimize_scalar(loss, bounds=(start - 15, start + 15), method="bounded",
                               options={"xatol": 1e-4}).x)
    r = resid(ls)
    n = len(y)
    mad = 1.4826 * float(np.median(np.abs(r))) if n > 2 else 0.0
    var = (n * mad**2 + 0.1**2) / (n + 1)
    return ls, float(np.sqrt(var / n))


def shape_prior(shape: NDArray, shape_var: NDArray | float, m: int,
                log_scale: float | NDArray, spread: float, floor_sd: NDArray,
                scaled: NDArray, shape_spread: float = SHAPE_SPREAD,
                offset: NDArray | float = 0.0,
                offset_var: NDArray | float = 0.0) -> tuple[NDArray, NDArray]:
    """Prior ``(mean, cov)`` of a composite model's coefficients for a new endpoint.

    Parameters
    ----------
    shape, shape_var, m:
        Per unit of speed, of the other ``m`` endpoints: the mean and unbiased variance
        (0 for one) of the scaled coefficients, and the slope of the others.
    log_scale, spread:
        The new endpoint's predicted log characteristic runtime and its uncertainty.  An
        array of ``k`` log runtimes gives ``(k, d)`` means and ``(k, d, d)`` covariances.
    floor_sd:
        Minimum prior spread per coefficient (so a term no other endpoint needed can still
        be learned).
    scaled:
        Which coefficients are proportional to the endpoint's speed (the work terms).  The
        others (overhead) are ``offset + shape * speed`` with residual variance
        ``offset_var`` (:class:`profiler.fleet.Fleet`).
    shape_spread:
        Relative doubt about each coefficient of the shape when one endpoint gives it.

    One common speed factor with spread ``spread`` scales the speed-proportional part of
    every coefficient, plus the endpoints' disagreement about the shape.
    """
    scaled = np.asarray(scaled, dtype=bool)
    s = np.exp(np.asarray(log_scale, dtype=float))[..., None]
    part = s * shape  # the part of each coefficient proportional to the speed
    mean = offset + part
    # A few endpoints understate how much shapes differ: unbiased variance plus a doubt
    # that fades as more endpoints agree.
    disagreement = (np.where(scaled, s**2 * shape_var, offset_var)
                    + (shape_spread * mean) ** 2 / m)
    common = spread * part
    eye = np.eye(len(scaled))
    cov = (common[..., :, None] * common[..., None, :]
           + eye * disagreement[..., None, :]
           + eye * (np.asarray(floor_sd, dtype=float) ** 2))
    return mean.reshape(np.shape(log_scale) + (-1,)), cov.reshape(np.shape(log_scale) + eye.shape)
