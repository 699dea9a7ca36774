"""The shared fitting core: a non-negative linear law in a basis, fitted robustly.

Every per-variable model (work, overhead, threads, model size, bytes) is a law
``seconds = basis(X) @ coef_`` with non-negative coefficients, so a variable can only add
time, never subtract it.  The fit is a Bayesian MAP estimate: relative (not absolute)
residuals, because runtimes span orders of magnitude; Huber re-weighting, so that one
preempted or cold-start run cannot wreck the fit; and a Gaussian prior on the
coefficients, so that few observations shrink towards the prior instead of over-fitting.
The Laplace covariance ``cov_`` carries the parameter uncertainty into the predicted
quantiles and into experiment design.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import nnls

from profiler.estimator import BaseEstimator, RegressorMixin, check_is_fitted

Z90 = 1.2815515655446004  # standard normal 90th percentile
#: Relative noise assumed before any residual is seen, and its weight in pseudo-observations.
DEFAULT_REL_SIGMA = 0.1
SIGMA_PSEUDO_COUNT = 2.0
MIN_REL_SIGMA = 0.02
#: A run whose leverage exceeds this is left out by an actual refit, not the closed form
#: (see :func:`loo_spread`).
LOO_REFIT_LEVERAGE = 0.5


class LinearLaw(RegressorMixin, BaseEstimator):
    """Base of the per-variable models: a robust, non-negative, Bayesian linear law.

    Subclasses define :meth:`basis` (``(n, d)`` columns from ``X``) and ``terms`` (their
    names).  ``X`` columns are documented per subclass.

    Parameters
    ----------
    prior_mean, prior_cov:
        Gaussian prior on the coefficients: a length-``d`` mean and a ``(d, d)``
        covariance (a length-``d`` vector is read as independent variances).  ``None``: a
        weak prior, centred on zero, that lets each term alone explain about ten times the
        median runtime.
    noise_prior:
        Relative run noise assumed before any residual is seen (e.g. the fleet's typical
        noise); it counts as ``SIGMA_PSEUDO_COUNT`` runs.
    noise_fixed:
        Use ``noise_prior`` as the run noise as is (estimated elsewhere, e.g. from a fit
        without a strong prior, whose residuals a prior cannot bias).
    huber_c:
        Huber threshold in robust standard deviations of the relative residual.
    max_iter:
        Re-weighting iterations.
    calibrate:
        Widen the run noise to what leave-one-out residuals show (:func:`loo_spread`):
        in-sample residuals of a few runs, or a strong prior, understate the error of a
        prediction at a configuration the fit has not seen.

    Attributes
    ----------
    coef_:
        MAP coefficients (non-negative), one per term.
    cov_:
        Laplace posterior covariance of the coefficients.
    sigma_:
        Relative noise: the log-scale spread of one run around the law.
    residual_spread_, dof_:
        Robust log-scale spread of the residuals and its degrees of freedom (before
        shrinking towards ``noise_prior``).
    n_obs_:
        Observations fitted.
    n_iter_:
        Least-squares solves the robust re-weighting took.
    loo_spread_:
        Robust log-scale spread of the leave-one-out residuals (0 unless ``calibrate``).
    jitter_:
        Absolute run-to-run jitter in seconds the residuals show on top of the relative
        noise (:func:`absolute_jitter`; 0 with fewer than four runs).
    """

    terms: tuple[str, ...] = ()
    #: Names of the ``X`` columns :meth:`basis` reads, in order.
    columns: tuple[str, ...] = ()

    def __init__(self, *, prior_mean: ArrayLike | None = None,
                 prior_cov: ArrayLike | None = None, noise_prior: float = DEFAULT_REL_SIGMA,
                 noise_fixed: bool = False, huber_c: float = 1.5, max_iter: int = 20,
                 calibrate: bool = False):
        self.prior_mean = prior_mean
        self.prior_cov = prior_cov
        self.noise_prior = noise_prior
        self.noise_fixed = noise_fixed
        self.huber_c = huber_c
        self.max_iter = max_iter
        self.calibrate = calibrate

    def basis(self, X: ArrayLike) -> NDArray:
        raise NotImplementedError

    def _columns(self, X: ArrayLike) -> NDArray:
        """``X`` as a float matrix with exactly the :attr:`columns` it should have."""
        A = np.atleast_2d(np.asarray(X, dtype=float))
        if A.shape[1] != len(self.columns):
            raise ValueError(f"X needs {len(self.columns)} column(s) ({', '.join(self.columns)})")
        return A

    def _prior(self, Phi: NDArray, y: NDArray) -> tuple[NDArray, NDArray]:
        d = Phi.shape[1]
        if self.prior_mean is not None and self.prior_cov is not None:
            mu = np.asarray(self.prior_mean, dtype=float).reshape(d)
            cov = np.asarray(self.prior_cov, dtype=float)
            return mu, (np.diag(cov.reshape(d)) if cov.ndim < 2 else cov.reshape(d, d))
        return np.zeros(d), np.diag((weak_prior_sd(Phi, y) * self._weak_share()) ** 2)

    def _weak_share(self) -> NDArray | float:
        """Per-term scale of the weak prior (1: a term alone may explain 10x the median)."""
        return 1.0

    def fit(self, X: ArrayLike, y: ArrayLike) -> LinearLaw:
        Phi = self.basis(X)
        t = np.asarray(y, dtype=float).reshape(-1)
        if len(t) != len(Phi):
            raise ValueError(f"X has {len(Phi)} rows but y has {len(t)}")
        if np.any(~np.isfinite(t)) or np.any(t <= 0):
            raise ValueError("durations must be positive and finite")
        mu, cov = self._prior(Phi, t)
        (self.coef_, self.cov_, self.sigma_, self.residual_spread_, self.dof_,
         self.n_iter_, weights) = fit_law(Phi, t, mu, cov, self.huber_c, self.max_iter,
                                          self.noise_prior, self.noise_fixed)
        self.n_obs_ = len(t)
        self.jitter_ = absolute_jitter(Phi @ self.coef_, t)
        self.loo_spread_ = 0.0
        if self.calibrate and len(t) > 1:
            self.loo_spread_ = loo_spread(Phi, t, weights, self.coef_, self.cov_, mu, cov)
            # Only ever wider: the leave-one-out spread already holds the coefficients'
            # error at the runs, which the quantiles add again where data are thin.
            self.sigma_ = max(self.sigma_, shrunk_noise(self.loo_spread_, len(t),
                                                        self.noise_prior))
        return self

    def fit_prior_only(self, coef: NDArray, cov: NDArray) -> LinearLaw:
        """The state :meth:`fit` leaves with no observations, given what the prior implies.

        ``coef, cov``: the prior's posterior from :func:`prior_posteriors` (batched for
        fleets of unobserved endpoints, where a fit each would dominate).
        """
        self.coef_, self.cov_ = np.asarray(coef, dtype=float), np.asarray(cov, dtype=float)
        self.sigma_, self.residual_spread_, self.dof_, self.n_obs_ = self.noise_prior, 0.0, 0, 0
        self.loo_spread_, self.n_iter_, self.jitter_ = 0.0, 0, 0.0
        return self

    def predict(self, X: ArrayLike) -> NDArray:
        check_is_fitted(self, "coef_")
        return np.maximum(self.basis(X) @ self.coef_, 1e-9)

    def predict_quantiles(self, X: ArrayLike) -> NDArray:
        """``(n, 3)`` p10, p50, p90: run noise plus coefficient uncertainty."""
        check_is_fitted(self, "coef_")
        return law_quantiles(self.basis(X), self.coef_, self.cov_, self.sigma_)


def weak_prior_sd(Phi: NDArray, y: NDArray) -> NDArray:
    """Prior spread that lets each term alone explain ten times the median runtime.

    A term is scaled by the median of its non-zero basis values (a variable at zero in
    some rows: no model size, no bytes), and by 1 where it is zero in every row.  Scaled
    by a median of zero, its spread was ~1e12 times the others' and, through the prior's
    pseudo-inverse, wiped out their prior (a new endpoint was predicted at 0 s).
    """
    if not len(Phi):
        return 10.0 * np.ones(Phi.shape[1])
    A = np.sort(np.abs(Phi), axis=0)
    n, nonzero = len(A), (A > 0).sum(axis=0)
    lo = np.minimum(n - nonzero + (nonzero - 1) // 2, n - 1)
    hi = np.minimum(n - nonzero + nonzero // 2, n - 1)
    cols = np.arange(A.shape[1])
    scale = np.where(nonzero > 0, (A[lo, cols] + A[hi, cols]) / 2, 1.0)
    typical = float(np.median(y)) if len(y) else 1.0
    return 10.0 * typical / np.maximum(scale, 1e-12)


def fit_law(Phi: NDArray, t: NDArray, mu: NDArray, prior_cov: NDArray, huber_c: float = 1.5,
            max_iter: int = 20, noise_prior: float = DEFAULT_REL_SIGMA,
            noise_fixed: bool = False
            ) -> tuple[NDArray, NDArray, float, float, int, int, NDArray]:
    """MAP fit of ``t ~ Phi @ coef``, ``coef >= 0``.

    Returns ``(coef, cov, sigma, residual_spread, dof, n_iter, weights)``: the relative run
    noise ``sigma`` is the residual spread shrunk towards ``noise_prior`` (or
    ``noise_prior`` itself when ``noise_fixed``); ``n_iter`` counts the least-squares
    solves; ``weights`` are the runs' final least-squares weights (``1 / (sigma * pred)``,
    Huber-reduced for outliers).

    The noise is multiplicative (relative residual ``r = (t - pred) / pred``) with spread
    ``sigma``; the prior ``N(mu, prior_cov)`` enters as pseudo-observations, so a handful
    of runs move the coefficients smoothly away from it.
    """
    n, d = Phi.shape
    sigma = noise_prior
    prior_prec, prior_rows, prior_rhs = _prior_rows(mu, prior_cov)
    coef = np.maximum(mu, 0.0)
    hub = np.ones(n)
    robust, dof = 0.0, 0
    # Noise sd proportional to the runtime: weight by 1/prediction (1/t only to start;
    # weighting by the measured t would favour the runs that happened to be fast).
    level = t.copy()
    step_before = None
    n_iter = 0
    for n_iter in range(1, max(max_iter, 1) + 1):
        w = np.sqrt(hub) / (sigma * level) if n else np.zeros(0)
        A = np.vstack([Phi * w[:, None], prior_rows]) if n else prior_rows
        b = np.concatenate([t * w, prior_rhs]) if n else prior_rhs
        new, _ = nnls(A, b, maxiter=50 * d)
        if n == 0:
            coef = new
            break
        # np.allclose(new, coef, rtol=1e-7, atol=1e-15), without its overhead (this
        # loop runs a few times per endpoint per refit).
        step = new - coef
        done = bool(np.all(np.abs(step) <= 1e-15 + 1e-7 * np.abs(coef)))
        coef = new
        if not done and step_before is not None:
            # The re-weighting contracts linearly (each step ~0.4 of the last): jump to
            # the limit of that geometric series (Aitken).  Only the path changes: the
            # fixed point, and the test for it, are those of the plain iteration.
            ratio = float(np.linalg.norm(step) / max(np.linalg.norm(step_before), 1e-300))
            if 0.0 < ratio < 0.9:
                coef = np.maximum(new + ratio / (1.0 - ratio) * step, 0.0)
        step_before = step
        pred = np.maximum(Phi @ coef, 1e-12)
        level = np.maximum(pred, 1e-3 * t)
        if not noise_fixed:
            robust, dof = _residual_spread(np.log(t / pred), d)
            sigma = shrunk_noise(robust, dof, noise_prior)
        # Huber weights on the residual the least squares sees (relative, not log): a
        # preempted run 10x too slow is a relative residual of 9, not log(10).
        hub = np.minimum(1.0, huber_c * sigma / np.maximum(np.abs(t / pred - 1.0), 1e-12))
        if done:
            break
    if noise_fixed and n:
        # The spread did not steer the fit: reported once, for the final coefficients.
        robust, dof = _residual_spread(np.log(t / np.maximum(Phi @ coef, 1e-12)), d)
    w = (np.sqrt(hub) / (sigma * level)) if n else np.zeros(0)
    precision = prior_prec + (Phi * (w**2)[:, None]).T @ Phi
    cov = np.linalg.pinv(precision, hermitian=True)
    return coef, cov, sigma, robust, dof, n_iter, w


def _prior_rows(mu: NDArray, prior_cov: NDArray) -> tuple[NDArray, NDArray, NDArray]:
    """The prior's precision, and pseudo-observation rows ``U`` (``U.T @ U`` = that
    precision; an eigen-root, PSD-safe) with their right-hand side ``U @ mu``."""
    prior_prec = np.linalg.pinv(prior_cov, hermitian=True)
    ev, vec = np.linalg.eigh(0.5 * (prior_prec + prior_prec.T))
    rows = (vec * np.sqrt(np.maximum(ev, 0.0))).T
    return prior_prec, rows, rows @ mu


def prior_posteriors(mu: NDArray, prior_cov: NDArray) -> tuple[NDArray, NDArray, NDArray]:
    """What :func:`fit_law` returns without observations, for a stack of priors at once.

    ``mu``: ``(k, d)``, ``prior_cov``: ``(k, d, d)``.  Returns ``(coef, cov, exact)``: with
    no data the posterior is the prior, so the coefficients are the (non-negative) prior
    mean and the covariance is the prior's, passed through the same pseudo-inverses.
    ``exact`` marks the priors where that shortcut is what the non-negative fit finds (a
    non-negative mean and a well-conditioned prior); fit the others with :func:`fit_law`.
    """
    prior_prec = np.linalg.pinv(prior_cov, hermitian=True)
    cov = np.linalg.pinv(prior_prec, hermitian=True)
    ev = np.linalg.eigvalsh(0.5 * (prior_prec + np.swapaxes(prior_prec, -1, -2)))
    exact = (mu >= 0).all(axis=1) & (ev[:, 0] > 1e-9 * ev[:, -1])
    return mu, cov, exact


def loo_spread(Phi: NDArray, t: NDArray, weights: NDArray, coef: NDArray, cov: NDArray,
               mu: NDArray, prior_cov: NDArray) -> float:
    """Robust log-scale spread of the leave-one-out residuals of a fitted law.

    ``weights``, ``coef`` and ``cov`` are :func:`fit_law`'s, ``mu`` and ``prior_cov`` its
    prior.  For the (prior-regularised, weighted) least squares the prediction at run ``i``
    without it is ``t_i - (t_i - pred_i) / (1 - h_i)``, with leverage
    ``h_i = w_i^2 phi_i' cov phi_i`` (``w_i`` the fit's weight, a Huber reduction
    included); no refit.  That closed form ignores that coefficients cannot go negative,
    which is what holds a fit in place where a run carries a direction nearly alone (about
    as many runs as the law has terms, and a prior that leaves the shape open): there
    ``1 - h_i`` nears zero and the residual grows a hundredfold.  Runs with a leverage
    above :data:`LOO_REFIT_LEVERAGE` are left out by an actual non-negative refit with the
    same weights.  The spread is the root mean square of the log residuals, each capped at
    three robust deviations (one preempted run must not make every interval useless).
    """
    pred = np.maximum(Phi @ coef, 1e-12)
    h = np.einsum("ij,jk,ik->i", Phi, cov, Phi) * weights**2
    loo = t - (t - pred) / np.maximum(1.0 - h, 1e-3)
    high = np.flatnonzero(h > LOO_REFIT_LEVERAGE)
    if len(high):
        _, prior_rows, prior_rhs = _prior_rows(mu, prior_cov)
        A = np.vstack([Phi * weights[:, None], prior_rows])
        b = np.concatenate([t * weights, prior_rhs])
        keep = np.ones(len(A), dtype=bool)
        for i in high:
            keep[i] = False
            without, _ = nnls(A[keep], b[keep], maxiter=50 * Phi.shape[1])
            keep[i] = True
            loo[i] = Phi[i] @ without
    r = np.log(t / np.maximum(loo, 1e-3 * t))
    mad = 1.4826 * _median(np.abs(r - _median(r)))
    return float(np.sqrt(np.mean(np.minimum(r**2, (3 * max(mad, MIN_REL_SIGMA)) ** 2))))


def absolute_jitter(pred: NDArray, t: NDArray) -> float:
    """Absolute jitter (seconds) in the residuals of runs predicted ``pred``, measured ``t``.

    Short runs stray further, relatively, than long ones when part of the noise is absolute
    (start-up, scheduling): the squared log residuals are regressed, non-negatively, on
    ``[1, 1 / pred**2]`` (relative variance plus jitter variance over the squared
    runtime).  Each is capped at nine times the variance the current fit gives its run,
    re-fitted a few times, so that a preempted run does not pass for jitter.  With fewer
    than four runs the split is not identified: 0.
    """
    pred = np.maximum(np.asarray(pred, dtype=float), 1e-12)
    if len(t) < 4 or np.ptp(pred) <= 0:
        return 0.0
    r2 = np.log(t / pred) ** 2
    A = np.column_stack([np.ones(len(t)), pred**-2.0])
    cap = np.full(len(t), 9 * max(_median(r2) / 0.455, MIN_REL_SIGMA**2))  # median chi2_1
    for _ in range(3):
        coef, _ = nnls(A, np.minimum(r2, cap))
        cap = 9 * np.maximum(A @ coef, MIN_REL_SIGMA**2)
    return float(np.sqrt(coef[1]))


def _residual_spread(r: NDArray, d: int) -> tuple[float, int]:
    """Robust log-scale spread of ``n`` in-sample residuals of a ``d``-term law, and its dof."""
    n = len(r)
    mad = 1.4826 * _median(np.abs(r - _median(r))) if n > 2 else 0.0
    # Few runs understate the spread: shrink towards the default with pseudo-counts.
    dof = max(n - min(d, n - 1), 1) if n > 1 else 0
    robust = max(mad, float(np.sqrt(np.mean(np.minimum(r**2, (3 * max(mad, 0.02))**2)))))
    # In-sample residuals understate the spread of a new run by sqrt(n / dof).
    return robust * float(np.sqrt(n / max(dof, 1))), dof


def _median(x: NDArray) -> float:
    """``np.median`` of a short finite vector (the same number, a tenth of the overhead)."""
    s = np.sort(x)
    k = len(s) // 2
    return float(s[k] if len(s) % 2 else (s[k - 1] + s[k]) / 2)


def shrunk_noise(spread: float, dof: int, prior: float) -> float:
    """A residual spread with ``dof`` degrees of freedom, shrunk towards ``prior``."""
    return float(np.sqrt((dof * max(spread, MIN_REL_SIGMA) ** 2 + SIGMA_PSEUDO_COUNT * prior**2)
                         / (dof + SIGMA_PSEUDO_COUNT)))


def law_quantiles(Phi: NDArray, coef: NDArray, cov: NDArray,
                  sigma: float | NDArray) -> NDArray:
    """p10/p50/p90 of ``Phi @ coef`` on a log scale: run noise plus parameter spread.

    Parameter uncertainty grows with the distance of a query from the fitted data (large
    ``Phi`` entries along poorly determined directions), so extrapolation widens.
    ``coef``, ``cov`` and ``sigma`` may also be stacks with one law per row of ``Phi``
    (``(n, d)``, ``(n, d, d)``, ``(n,)``): many endpoints answered at once.
    """
    if np.ndim(coef) == 2:
        p50 = np.maximum(np.einsum("ij,ij->i", Phi, coef), 1e-9)
        var_mean = np.einsum("ij,ijk,ik->i", Phi, cov, Phi)
    else:
        p50 = np.maximum(Phi @ coef, 1e-9)
        var_mean = np.einsum("ij,jk,ik->i", Phi, cov, Phi)
    rel = np.sqrt(sigma**2 + np.maximum(var_mean, 0.0) / p50**2)
    rel = np.minimum(rel, 3.0)  # beyond e^{±3.8} the interval says nothing more
    return np.column_stack([p50 * np.exp(-Z90 * rel), p50, p50 * np.exp(Z90 * rel)])
