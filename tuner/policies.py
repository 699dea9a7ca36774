"""Balancing policies: which knob gives way on a slow endpoint (vectorised, pure).

Every endpoint ``i`` finishes in ``overhead[i] + epochs[i] * (per_epoch[i] + rate[i] *
samples[i])`` seconds: ``per_epoch`` is what an epoch costs whatever its samples (Keras'
per-epoch set-up), ``rate`` the seconds per sample-epoch.

- ``epochs-first`` (default): keep samples, cut epochs on slow endpoints (never below
  ``min_epochs``), give fast ones more; samples are cut only when even ``min_epochs``
  does not fit a deadline.  Cutting epochs costs learning less than cutting samples.
- ``samples-first``: keep the round's epochs, cut samples on slow endpoints; fast
  endpoints may use more of their own data (up to what they hold).
- ``both``: split the work an endpoint can do between samples and epochs in the round's
  proportion (each scaled by the square root of the work fraction).

Work mode returns at least ``target`` sample-epochs in the least makespan (or everything
the bounds allow); deadline mode the most sample-epochs that finish by the deadline, with
0 epochs for an endpoint that cannot fit even one sample.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from tuner.balance import balance_work, epochs_within, fill_slack, fit_deadline, samples_within
from tuner.problem import RoundSpec

Pair = tuple[NDArray, NDArray]


#: Default epoch bound in deadline mode, as a multiple of the round's epochs.
DEADLINE_EPOCHS_FACTOR = 5


def solve_work(policy: str, overhead: NDArray, per_epoch: NDArray, rate: NDArray, s0: NDArray,
               held: NDArray, target: float, r: RoundSpec) -> Pair:
    """Samples and epochs doing at least ``target`` sample-epochs in the least makespan.

    ``s0`` is each endpoint's requested samples, ``held`` what it holds.
    """
    max_e = float(r.max_epochs) if r.max_epochs is not None else math.inf
    if policy == "epochs-first":
        epoch_s = per_epoch + rate * s0
        e = balance_work(overhead, epoch_s, s0.astype(float), target, r.min_epochs, max_e)
        makespan = float(np.max(overhead + epoch_s * e))
        return fill_slack(overhead, per_epoch, rate, s0, e, makespan, max_e)
    split = _SPLITS[policy]
    costs = (overhead, per_epoch, rate, s0, held, r, max_e)
    lo = float(np.max(overhead + (per_epoch + rate) * r.min_epochs))
    hi = float(np.max(overhead + (per_epoch + rate * held)
                      * (max_e if math.isfinite(max_e)
                         else max(r.epochs, target / max(held.sum(), 1)))))
    hi = max(hi, lo)
    if _work(split(hi, *costs)) < target:
        return split(hi, *costs)
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if _work(split(mid, *costs)) >= target:
            hi = mid
        else:
            lo = mid
        if hi - lo <= 1e-6 * hi:  # a makespan within a millionth is as good
            break
    return split(hi, *costs)


def solve_deadline(policy: str, overhead: NDArray, per_epoch: NDArray, rate: NDArray,
                   s0: NDArray, held: NDArray, deadline: float, r: RoundSpec) -> Pair:
    """The most sample-epochs each endpoint finishes by ``deadline``; 0 epochs if none fit.

    Pass p90-widened ``overhead``, ``per_epoch`` and ``rate``: a deadline is a constraint,
    not a target.  Without ``round.max_epochs`` an endpoint trains at most
    :data:`DEADLINE_EPOCHS_FACTOR` x ``round.epochs``: slack on a fast endpoint is not
    worth unbounded epochs (diminishing returns), and the numbers stay finite.
    """
    max_e = float(r.max_epochs if r.max_epochs is not None
                  else DEADLINE_EPOCHS_FACTOR * r.epochs)
    if policy != "epochs-first":
        return _SPLITS[policy](deadline, overhead, per_epoch, rate, s0, held, r, max_e)
    e = fit_deadline(overhead, per_epoch + rate * s0, deadline, r.min_epochs, max_e)
    fit = samples_within(deadline, overhead, per_epoch, rate, r.min_epochs)
    cut = (e == 0) & (fit >= 1)
    s = np.where(cut, np.minimum(fit, s0), s0).astype(np.int64)
    e = np.where(cut, r.min_epochs, e).astype(np.int64)
    return fill_slack(overhead, per_epoch, rate, s, e, deadline, max_e)


def _work(pair: Pair) -> float:
    return float(np.sum(pair[0] * pair[1]))


def _samples_first(T: float, overhead: NDArray, per_epoch: NDArray, rate: NDArray,
                   s0: NDArray, held: NDArray, r: RoundSpec, max_e: float) -> Pair:
    e = np.full(len(overhead), r.epochs, dtype=np.int64)
    s = np.clip(samples_within(T, overhead, per_epoch, rate, e), 0, held).astype(np.int64)
    # Last resort before sitting out: fewer epochs on one sample or more.
    short = s < 1
    if np.any(short):
        e_fit = epochs_within(T, overhead, per_epoch + rate, r.min_epochs, r.epochs)
        s_fit = samples_within(T, overhead, per_epoch, rate, e_fit)
        s = np.where(short, np.clip(s_fit, 0, held), s).astype(np.int64)
        e = np.where(short, e_fit, e)
    return s, np.where(s >= 1, e, 0).astype(np.int64)


def _both(T: float, overhead: NDArray, per_epoch: NDArray, rate: NDArray, s0: NDArray,
          held: NDArray, r: RoundSpec, max_e: float) -> Pair:
    # The sample-epochs that fit at the requested samples' cost per sample-epoch set the
    # split; the samples then fill the time at the epochs chosen.
    with np.errstate(divide="ignore", invalid="ignore"):
        work = np.maximum((T - overhead) / (rate + per_epoch / s0), 0.0)
        frac = np.sqrt(work / (s0 * r.epochs))
    e = np.clip(np.floor(r.epochs * frac + 1e-9), r.min_epochs, max_e)
    s = np.clip(samples_within(T, overhead, per_epoch, rate, e), 0, held)
    # Whatever samples cannot absorb (an endpoint holding little data) goes to epochs.
    e = np.where(s >= held, epochs_within(T, overhead, per_epoch + rate * np.maximum(s, 1),
                                          r.min_epochs, max_e), e)
    s = s.astype(np.int64)
    return s, np.where(s >= 1, e, 0).astype(np.int64)


_SPLITS = {"samples-first": _samples_first, "both": _both}
