"""Experiment design: which configurations to measure next.

Greedy sequential design on the composite model's posterior.  Measuring candidate ``c``
shrinks the coefficient covariance by a rank-one update; the gain of ``c`` is the summed
reduction of the *relative* predictive variance over the configurations the tuner will
ask about (``queries``).  Among candidates within ``tie`` of the best gain the cheapest
(shortest predicted run) wins, so a new endpoint is calibrated with short runs whenever
they teach as much.  Each chosen candidate updates the covariance before the next pick,
so the k picks spread over the region instead of repeating one point.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import block_diag

from profiler.profiles import Profile


def design(candidates: NDArray, queries: NDArray, coef: NDArray, cov: NDArray,
           sigma: float | NDArray, k: int, *, tie: float = 0.9) -> list[int]:
    """Indices of ``k`` candidates in the order to run them.

    Parameters
    ----------
    candidates, queries:
        Basis rows (the model's ``basis(X)``) of the runnable configurations and of the
        configurations whose predictions matter.
    coef, cov, sigma:
        The current posterior: coefficients, their covariance, relative run noise (a
        scalar, or one per candidate).
    k:
        Budget: how many to pick (at most the number of candidates).
    tie:
        Candidates with at least ``tie`` times the best gain count as equally informative.
    """
    C = np.asarray(candidates, dtype=float)
    Q = np.asarray(queries, dtype=float)
    S = np.array(cov, dtype=float, copy=True)
    cost = np.maximum(C @ coef, 1e-9)
    q_scale = np.maximum(Q @ coef, 1e-9)
    noise = (np.asarray(sigma, dtype=float) * cost) ** 2  # absolute seconds^2 per candidate
    chosen: list[int] = []
    for _ in range(min(int(k), len(C))):
        SC = S @ C.T                                  # (d, n_candidates)
        var_c = np.einsum("ij,ji->i", C, SC)           # current variance at each candidate
        cross = (Q @ SC) / q_scale[:, None]            # relative covariance query x candidate
        gain = np.sum(cross**2, axis=0) / (noise + np.maximum(var_c, 0.0))
        gain[chosen] = -np.inf                         # run each configuration once
        best = float(np.max(gain))
        near = np.flatnonzero(gain >= tie * best) if best > 0 else np.flatnonzero(gain > -np.inf)
        pick = int(near[np.argmin(cost[near])])
        chosen.append(pick)
        s = SC[:, pick]
        S = S - np.outer(s, s) / (noise[pick] + max(var_c[pick], 0.0))
    return chosen


def suggest(profiles: Mapping[str, Profile], candidates: Sequence[tuple[str, NDArray]], k: int,
            queries: Sequence[tuple[str, NDArray]] | None = None) -> list[int]:
    """The ``k`` candidates to run next, over one or several endpoints, in order.

    Parameters
    ----------
    profiles:
        Fitted profiles (:func:`profiler.profiles.fit_profiles`), including endpoints with
        no runs yet (their hardware prior): that is a calibration plan.
    candidates:
        ``(endpoint, row)`` pairs, ``row`` in :data:`~profiler.composite.FEATURES` order.
    k:
        How many to run.
    queries:
        ``(endpoint, row)`` pairs whose predictions matter; default: the candidates.

    Endpoints share one budget: their posteriors are stacked block-diagonally, so a pick
    goes wherever it removes the most uncertainty.
    """
    queries = list(candidates) if queries is None else list(queries)
    eps = sorted({e for e, _ in candidates} | {e for e, _ in queries})
    models = [profiles[e].model for e in eps]
    offsets = np.cumsum([0] + [len(m.coef_) for m in models])
    where = {e: i for i, e in enumerate(eps)}

    def stacked(pairs: Sequence[tuple[str, NDArray]]) -> NDArray:
        out = np.zeros((len(pairs), offsets[-1]))
        for r, (e, row) in enumerate(pairs):
            i = where[e]
            out[r, offsets[i]:offsets[i + 1]] = models[i].basis(np.atleast_2d(row))[0]
        return out

    sigma = np.array([models[where[e]].sigma_ for e, _ in candidates])
    return design(stacked(candidates), stacked(queries),
                  np.concatenate([m.coef_ for m in models]),
                  block_diag(*[m.cov_ for m in models]), sigma, k)
