"""The work model: ``seconds = overhead + k * samples * epochs``, fitted robustly."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

_Z90 = 1.2815515655446004  # standard normal 90th percentile
_MIN_REL_SIGMA = 0.03


def _weighted_lstsq(X: NDArray, y: NDArray, w: NDArray) -> NDArray:
    sw = np.sqrt(w)
    return np.linalg.lstsq(X * sw[:, None], y * sw, rcond=None)[0]


class WorkLinearModel(RegressorMixin, BaseEstimator):
    """Robust linear runtime model on the work ``samples * epochs``.

    Fits relative (not absolute) residuals, since runtimes span orders of magnitude,
    with Huber re-weighting so that one preempted or cold-start run cannot wreck the fit.

    Parameters
    ----------
    huber_c:
        Huber threshold in robust standard deviations of the relative residual.
    max_iter:
        Re-weighting iterations.

    Attributes
    ----------
    overhead_:
        Fixed seconds per task.
    k_:
        Seconds per sample-epoch.
    sigma_:
        Robust standard deviation of the relative residual.
    n_obs_:
        Observations fitted.
    """

    def __init__(self, *, huber_c: float = 1.345, max_iter: int = 30):
        self.huber_c = huber_c
        self.max_iter = max_iter

    @staticmethod
    def _work(X: ArrayLike) -> NDArray:
        A = np.asarray(X, dtype=float)
        if A.ndim != 2 or A.shape[1] < 2:
            raise ValueError("X needs columns (samples, epochs)")
        return A[:, 0] * A[:, 1]

    def fit(self, X: ArrayLike, y: ArrayLike) -> WorkLinearModel:
        w = self._work(X)
        t = np.asarray(y, dtype=float)
        if len(t) == 0:
            raise ValueError("no observations to fit")
        if np.any(t <= 0):
            raise ValueError("durations must be positive")
        design = np.column_stack([np.ones_like(w), w])
        rel = 1.0 / t**2  # weights for relative residuals
        if np.ptp(w) <= 0:
            # One work level cannot separate overhead from rate: attribute it all to work.
            beta = np.array([0.0, float(np.median(t)) / max(w[0], 1.0)])
        else:
            beta = _weighted_lstsq(design, t, rel)
            for _ in range(self.max_iter):
                r = (t - design @ beta) / t
                scale = max(1.4826 * float(np.median(np.abs(r - np.median(r)))), 1e-6)
                hub = np.minimum(1.0, self.huber_c * scale / np.maximum(np.abs(r), 1e-12))
                new = _weighted_lstsq(design, t, rel * hub)
                if np.allclose(new, beta, rtol=1e-9, atol=1e-12):
                    break
                beta = new
            if beta[0] < 0 or beta[1] <= 0:
                beta = self._constrained(w, t, rel)
        self.overhead_ = float(max(beta[0], 0.0))
        self.k_ = float(max(beta[1], 1e-12))
        pred = self.overhead_ + self.k_ * w
        r = (t - pred) / pred
        dof = max(len(t) - 2, 0)
        mad = 1.4826 * float(np.median(np.abs(r))) if len(t) else 0.0
        # Few points: the residual spread understates the truth; shrink towards a wide default.
        self.sigma_ = float(np.sqrt((dof * max(mad, _MIN_REL_SIGMA) ** 2 + 2 * 0.25**2) / (dof + 2)))
        self.n_obs_ = int(len(t))
        self.work_range_ = (float(w.min()), float(w.max()))
        return self

    @staticmethod
    def _constrained(w: NDArray, t: NDArray, rel: NDArray) -> NDArray:
        """Best fit with overhead >= 0 and k > 0 when the free fit leaves that region."""
        k = float(np.sum(rel * w * t) / np.sum(rel * w * w))
        return np.array([0.0, k]) if k > 0 else np.array([float(np.median(t)), 1e-12])

    def predict(self, X: ArrayLike) -> NDArray:
        check_is_fitted(self, "k_")
        return self.overhead_ + self.k_ * self._work(X)

    def predict_quantiles(self, X: ArrayLike) -> NDArray:
        """``(n, 3)`` array of p10, p50, p90; wider outside the fitted work range.

        The spread grows with the log-distance outside the observed work range: a query at
        10x the largest work seen gets about 3.3x the in-range spread.
        """
        check_is_fitted(self, "k_")
        w = np.maximum(self._work(X), 1e-9)
        p50 = self.overhead_ + self.k_ * w
        lo, hi = self.work_range_
        outside = np.maximum(np.log(max(lo, 1e-9) / w), 0) + np.maximum(np.log(w / max(hi, 1e-9)), 0)
        sigma = self.sigma_ * (1.0 + outside)
        return np.column_stack([p50 * np.exp(-_Z90 * sigma), p50, p50 * np.exp(_Z90 * sigma)])
