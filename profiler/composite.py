"""The composite runtime model of one endpoint and task kind.

It combines the per-variable laws into one linear law::

    seconds = overhead(model_params) + bytes term + per_epoch x epochs
              + work(samples, epochs, batch_size) x size(model_params) x threads(threads)

where each factor is the basis of its per-variable model (:mod:`profiler.work`,
:mod:`profiler.overhead`, :mod:`profiler.model_size`, :mod:`profiler.threads`,
:mod:`profiler.transfer`).  The product of non-negative bases is expanded into one
non-negative basis, so the whole composite is fitted at once, robustly and with a prior,
by :func:`profiler.law.fit_law` — and its posterior covariance drives the predicted
quantiles and experiment design.  Variables that never vary in the data are left out (a
constant factor is absorbed by the others).  The per-epoch cost (callbacks, a fresh
dataset iterator) is measured to be neither dearer for a larger model nor shared by
threads (~0.034 s with one thread, ~0.033 s with two, the same for both model sizes; the
bench grid's four measurements): it is a term of its own, outside the products.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from profiler.law import DEFAULT_REL_SIGMA, LinearLaw
from profiler.model_size import ModelSizeModel
from profiler.overhead import OverheadModel
from profiler.threads import AmdahlModel
from profiler.transfer import TransferModel
from profiler.work import WorkModel

#: Column order of ``X`` for the composite (the observation record's configuration).
FEATURES = ("samples", "epochs", "batch_size", "threads", "model_params", "bytes")
VARIABLES = ("work", "batch", "threads", "model_size", "bytes")
#: The rate terms of the work law (an endpoint's speed scales them).
WORK_TERMS = ("per_epoch_s", "per_step_s", "per_sample_epoch_s")


def active_variables(X: ArrayLike) -> tuple[str, ...]:
    """The variables that the rows of ``X`` (columns :data:`FEATURES`) can identify."""
    A = np.atleast_2d(np.asarray(X, dtype=float)).reshape(-1, len(FEATURES))
    trained = A[:, 0] * A[:, 1] > 0
    out = []
    if trained.any():
        out.append("work")
        if len(np.unique(A[trained, 2])) > 1:
            out.append("batch")
    for name, col in (("threads", 3), ("model_size", 4), ("bytes", 5)):
        if len(np.unique(A[:, col])) > 1:
            out.append(name)
    return tuple(out)


def _product(a: NDArray, b: NDArray) -> NDArray:
    return (a[:, :, None] * b[:, None, :]).reshape(len(a), a.shape[1] * b.shape[1])


class CompositeModel(LinearLaw):
    """Runtime of a task from its whole configuration.  ``X`` columns: :data:`FEATURES`.

    Parameters
    ----------
    variables:
        Which of :data:`VARIABLES` the model uses (see :func:`active_variables`).
    prior_mean, prior_cov, noise_prior, noise_fixed, huber_c, max_iter, calibrate:
        As for :class:`~profiler.law.LinearLaw`.
    """

    def __init__(self, *, variables: tuple[str, ...] = ("work",),
                 prior_mean: ArrayLike | None = None, prior_cov: ArrayLike | None = None,
                 noise_prior: float = DEFAULT_REL_SIGMA, noise_fixed: bool = False,
                 huber_c: float = 1.5, max_iter: int = 20, calibrate: bool = False):
        self.variables = variables
        super().__init__(prior_mean=prior_mean, prior_cov=prior_cov, noise_prior=noise_prior,
                         noise_fixed=noise_fixed, huber_c=huber_c, max_iter=max_iter,
                         calibrate=calibrate)

    def _parts(self, A: NDArray) -> tuple[NDArray, NDArray]:
        """The additive (once per task) and the work basis of ``A`` (per epoch first)."""
        v = set(self.variables)
        unknown = v - set(VARIABLES)
        if unknown:
            raise ValueError(f"unknown variables {sorted(unknown)}; use {VARIABLES}")
        n = len(A)
        once = OverheadModel().basis(A[:, [4]]) if "model_size" in v else np.ones((n, 1))
        if "bytes" in v:
            once = np.column_stack([once, TransferModel().basis(A[:, 5])[:, 1:]])
        if "work" not in v:
            return once, np.zeros((n, 0))
        basis = WorkModel().basis(A[:, :3])
        per_epoch, work = basis[:, :1], basis[:, 1:]
        if "batch" not in v:
            work = work[:, 1:]
        if "model_size" in v:
            work = _product(work, ModelSizeModel().basis(A[:, [4]]))
        if "threads" in v:
            work = _product(work, AmdahlModel().basis(A[:, [3]]))
        return once, np.column_stack([per_epoch, work])

    def basis(self, X: ArrayLike) -> NDArray:
        A = np.atleast_2d(np.asarray(X, dtype=float))
        if A.shape[1] != len(FEATURES):
            raise ValueError(f"X needs columns {FEATURES}")
        once, work = self._parts(A)
        return np.column_stack([once, work])

    @property
    def terms(self) -> tuple[str, ...]:  # type: ignore[override]
        v = set(self.variables)
        once = ["start_up_s"] + (["per_mparam_s"] if "model_size" in v else [])
        once += ["s_per_mb"] if "bytes" in v else []
        if "work" not in v:
            return tuple(once)
        work = (["per_step_s"] if "batch" in v else []) + ["per_sample_epoch_s"]
        if "model_size" in v:
            work = [f"{w}{s}" for w in work for s in ("", "*mparams")]
        if "threads" in v:
            work = [f"{w}{s}" for w in work for s in ("", "/threads")]
        return tuple(once + ["per_epoch_s"] + work)

    def _weak_share(self) -> NDArray:
        # Interaction terms (x model size, / threads, bytes) are refinements: with no
        # data varying them they stay near zero instead of sharing a collinear base term
        # and blowing up when a query extrapolates in that variable.  Start-up is held
        # back too: runs at one work level cannot split it from the rate, and a rate of
        # zero would tell the planner that epochs are free.
        return np.array([1.0 if t in WORK_TERMS else 0.1 for t in self.terms])

    def epoch_split(self, X: ArrayLike) -> tuple[NDArray, NDArray]:
        """Median seconds paid once and per epoch for the rows of ``X`` (epochs ignored)."""
        A = np.atleast_2d(np.asarray(X, dtype=float)).copy()
        A[:, 1] = 0
        once = self.basis(A) @ self.coef_
        A[:, 1] = 1
        return once, self.basis(A) @ self.coef_ - once
