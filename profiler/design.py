"""Experiment design: which configurations to measure next.

Greedy sequential design on the composite model's posterior.  The runtime at a
configuration is the law (coefficients with the posterior covariance) times a smooth
*discrepancy*: a Gaussian process in the log of the configuration variables with relative
spread :data:`DISCREPANCY` and length scale :data:`LENGTH_SCALE`.  The law alone makes the
design a corner design (the extremes of every variable determine a linear law best), which
fits the law well where it holds and badly where it does not; the discrepancy says that
a run informs its neighbourhood more than far-away configurations, so the picks spread
over every variable the queries vary (samples, epochs, batch size, threads, model size).

Measuring candidate ``c`` shrinks the joint covariance by a rank-one update; the gain of
``c`` is the summed reduction of the *relative* predictive variance over the
configurations the tuner will ask about (``queries``).  A run's noise is its relative
noise plus an absolute jitter over its duration, the jitter the fleet's runs show
(:func:`pooled_jitter`): where short runs are mostly start-up and scheduling jitter, they
teach less.  While an endpoint explores the reference law's wider shape doubt, its relative
noise is widened too (:func:`_design_noise`).  On an endpoint with fewer than
:data:`CHEAP_RUNS` runs and a law shape learned from other endpoints, candidates within
``tie`` of the best gain count as equally informative and the cheapest (shortest
predicted run) wins, so a new endpoint is calibrated with short runs whenever they teach
about as much; otherwise the gain decides, and cost only breaks exact ties.  Each pick
updates the covariance before the next, so the k picks spread over the region instead of
repeating one point.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import block_diag

from profiler.composite import FEATURES
from profiler.profiles import Profile

#: Relative spread of the law's misfit (real runtimes stray from any simple law by tens of
#: percent away from where it was fitted).
DISCREPANCY = 0.2
#: Absolute run-to-run jitter of a task's duration in seconds (process scheduling,
#: start-up), on top of the relative noise, assumed before runs show their own.
JITTER_S = 0.1
#: Weight of :data:`JITTER_S` in runs when pooled with the jitter the runs show.
JITTER_PSEUDO_COUNT = 10.0
#: An endpoint's first runs trade up to ``1 - tie`` of their information for a shorter
#: run; later runs do not.  The first runs mostly show what the fleet's prior leaves open
#: on any run (the endpoint's speed and start-up), so a short run serves; later ones must
#: separate terms, and a cheaper run that separates less is a false economy.  Measured
#: (``bench/profiler_accuracy.py``, new endpoint, designed n - random 2n summed over n =
#: 2..8, development seeds 1000-1024 / 1100-1124): no cheap runs +1.2 / +1.6 points, the
#: first 2 -0.8 / -3.4, 3 -1.2 / -3.7, 5 -0.3 / -3.9.  (On the first bench grid, summed
#: over both cases: every run cheap 6.6, the first 3 4.5 points.)  Not while the shape is
#: the reference law's (no other endpoint observed): then the shape is open too, and short
#: runs, whose differences are mostly start-up and noise, cannot tell its terms apart
#: (measured on an endpoint alone: two designed runs erred 27% against 21% for two random
#: ones, and 18% once not chosen for being short; development seeds 26%, 24%, 18%).
CHEAP_RUNS = 3
#: How much wider than the fit's run noise design plans with while an endpoint explores
#: the reference law's shape (:func:`_design_noise`): the geometric middle between face
#: value and the shape doubt's own widening (:data:`~profiler.profiles.EXPLORE_DOUBT`, 4).
#: Measured (``bench/profiler_accuracy.py``, endpoint alone, designed n - random 2n in
#: points for n = 2 / 3 / 4 / 6 / 8): reported seeds 0-49, 4x +1.2 / +0.2 / +0.2 / -0.2 /
#: -0.2, 1x -1.1 / +0.6 / +0.3 / -0.1 / -0.5, 2x -1.4 / +0.1 / -0.1 / -0.3 / -0.4; summed
#: over n on development seeds 1000-1024, 1100-1124, 1200-1224 and 1300-1324, 4x +0.9 /
#: -0.1 / +1.5 / -0.9, 1x -0.5 / -3.1 / -0.4 / -3.2, 2x -2.7 / -4.6 / -1.4 / -4.1.  (4x
#: was chosen on the first bench grid, whose one-thread endpoint strayed ~20% between
#: worker processes.)
EXPLORE_NOISE = 2.0
#: Length scale of the misfit in natural-log units of each configuration variable (a run
#: tells a lot about configurations within a factor of ~2.7 of it, little beyond).
LENGTH_SCALE = 1.0


def log_features(rows: NDArray) -> NDArray:
    """Configuration rows (:data:`~profiler.composite.FEATURES`) on the discrepancy's scale."""
    A = np.atleast_2d(np.asarray(rows, dtype=float)).reshape(-1, len(FEATURES))
    return np.log(np.maximum(A, 0.0) + 1.0) / LENGTH_SCALE


def _kernel(a: NDArray, b: NDArray, group_a: NDArray, group_b: NDArray) -> NDArray:
    """Squared-exponential correlation; zero across groups (endpoints)."""
    d2 = ((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=-1)
    return np.exp(-0.5 * d2) * (group_a[:, None] == group_b[None, :])


def design(candidates: NDArray, queries: NDArray, coef: NDArray, cov: NDArray,
           sigma: float | NDArray, k: int, *, jitter: float | NDArray = JITTER_S,
           tie: float = 0.9, runs: NDArray | None = None,
           learned_shape: NDArray | None = None,
           candidate_features: NDArray | None = None, query_features: NDArray | None = None,
           candidate_groups: NDArray | None = None, query_groups: NDArray | None = None,
           discrepancy: float = DISCREPANCY) -> list[int]:
    """Indices of ``k`` candidates in the order to run them.

    Parameters
    ----------
    candidates, queries:
        Basis rows (the model's ``basis(X)``) of the runnable configurations and of the
        configurations whose predictions matter.
    coef, cov, sigma:
        The current posterior: coefficients, their covariance, relative run noise (a
        scalar, or one per candidate).
    jitter:
        Absolute run noise in seconds (a scalar, or one per candidate).
    k:
        Budget: how many to pick (at most the number of candidates).
    tie:
        Candidates with at least ``tie`` times the best gain count as equally informative
        while their group (endpoint) has fewer than :data:`CHEAP_RUNS` runs and a learned
        shape.
    runs:
        How many runs each candidate's group has (default: none); each pick adds one.
    learned_shape:
        Whether each candidate's group has a law shape learned from other endpoints
        (default: all do; :attr:`Profile.learned_shape <profiler.profiles.Profile>`).
    candidate_features, query_features, candidate_groups, query_groups:
        :func:`log_features` of the configurations and the group (endpoint) of each, for
        the discrepancy; without features the design sees the law alone.
    discrepancy:
        Relative spread of the law's misfit (0: the law alone).
    """
    C = np.asarray(candidates, dtype=float)
    Q = np.asarray(queries, dtype=float)
    S = np.asarray(cov, dtype=float)
    cost = np.maximum(C @ coef, 1e-9)
    # Relative units throughout: a run's noise and the tuner's doubts are relative.
    Lc, Lq = C / cost[:, None], Q / np.maximum(Q @ coef, 1e-9)[:, None]
    # A run's relative noise, plus an absolute jitter (scheduling, start-up) that makes
    # very short runs say less than their relative noise suggests.
    noise = np.asarray(sigma, dtype=float) ** 2 + (np.asarray(jitter, dtype=float) / cost) ** 2
    gc = np.zeros(len(C)) if candidate_groups is None else np.asarray(candidate_groups)
    gq = np.zeros(len(Q)) if query_groups is None else np.asarray(query_groups)
    done_runs = np.zeros(len(C)) if runs is None else np.array(runs, dtype=float)
    learned = (np.ones(len(C), bool) if learned_shape is None
               else np.asarray(learned_shape, bool))
    use_gp = candidate_features is not None and query_features is not None and discrepancy > 0
    if use_gp:
        fc, fq = np.asarray(candidate_features, float), np.asarray(query_features, float)
    tau2 = discrepancy**2 if use_gp else 0.0
    # Prior covariance of the relative runtime between queries and candidates, and at the
    # candidates; each pick subtracts a rank-one term from both (no (n x n) matrix kept).
    LcS = Lc @ S
    KQC = Lq @ LcS.T + (tau2 * _kernel(fq, fc, gq, gc) if use_gp else 0.0)
    var_c = np.einsum("ij,ij->i", LcS, Lc) + tau2
    done_c: list[NDArray] = []  # rank-one factors at the candidates
    chosen: list[int] = []
    for _ in range(min(int(k), len(C))):
        denom = noise + np.maximum(var_c, 0.0)
        gain = np.sum(KQC**2, axis=0) / denom
        gain[chosen] = -np.inf                         # run each configuration once
        best = float(np.max(gain))
        band = np.where((done_runs < CHEAP_RUNS) & learned, tie, 1.0)
        near = np.flatnonzero(gain >= band * best) if best > 0 else np.flatnonzero(gain > -np.inf)
        pick = int(near[np.argmin(cost[near])])
        chosen.append(pick)
        done_runs[gc == gc[pick]] += 1
        # The pick's current covariance with every candidate, then the rank-one update.
        col_c = LcS @ Lc[pick]
        if use_gp:
            col_c = col_c + tau2 * _kernel(fc, fc[[pick]], gc, gc[[pick]])[:, 0]
        for u in done_c:
            col_c = col_c - u * u[pick]
        scale = 1.0 / np.sqrt(denom[pick])
        u_c, u_q = col_c * scale, KQC[:, pick] * scale
        KQC = KQC - np.outer(u_q, u_c)
        var_c = var_c - u_c**2
        done_c.append(u_c)
    return chosen


def pooled_jitter(models: Sequence) -> float:
    """The absolute jitter the fleet's runs show, pooled with :data:`JITTER_S`.

    Each fitted model's ``jitter_`` counts as many times as it has runs (jitter comes
    from the machines' software stack and load, which a fleet shares more than its
    speed); :data:`JITTER_PSEUDO_COUNT` runs' worth of the default keep a few runs from
    deciding it alone.
    """
    n = np.array([getattr(m, "n_obs_", 0) for m in models], dtype=float)
    j2 = np.array([getattr(m, "jitter_", 0.0) ** 2 for m in models])
    return float(np.sqrt((n @ j2 + JITTER_PSEUDO_COUNT * JITTER_S**2)
                         / (n.sum() + JITTER_PSEUDO_COUNT)))


def _design_cov(profile: Profile) -> NDArray:
    """The coefficient covariance design plans with: the model's, or while an endpoint has
    too few runs to tell the reference law's shape, the wider one it still has to explore."""
    return profile.model.cov_ if profile.explore is None else profile.explore


def _design_noise(profile: Profile) -> float:
    """The relative run noise design plans with.

    While an endpoint explores the reference law's shape (:attr:`Profile.explore
    <profiler.profiles.Profile>`), its relative noise is widened by
    :data:`EXPLORE_NOISE`: design plans against the wide shape doubt
    (:data:`~profiler.profiles.EXPLORE_DOUBT`) while the fit keeps the narrower one, so at
    face value runs look almost noise-free and go where the fit cannot use them; widened
    as much as the shape doubt, design is the narrow doubt's with the misfit and the
    jitter all but ignored.
    """
    return profile.model.sigma_ * (EXPLORE_NOISE if profile.explore is not None else 1.0)


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

    sigma = np.array([_design_noise(profiles[e]) for e, _ in candidates])
    return design(stacked(candidates), stacked(queries),
                  np.concatenate([m.coef_ for m in models]),
                  block_diag(*[_design_cov(profiles[e]) for e in eps]), sigma, k,
                  jitter=pooled_jitter([p.model for p in profiles.values()]),
                  runs=np.array([profiles[e].n_observations for e, _ in candidates]),
                  learned_shape=np.array([profiles[e].learned_shape for e, _ in candidates]),
                  candidate_features=log_features(np.array([r for _, r in candidates])),
                  query_features=log_features(np.array([r for _, r in queries])),
                  candidate_groups=np.array([where[e] for e, _ in candidates]),
                  query_groups=np.array([where[e] for e, _ in queries]))
