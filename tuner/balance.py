"""Analytic balancing of epochs across endpoints (vectorised; 100k endpoints in ms).

Each endpoint ``i`` finishes a round in ``overhead[i] + epoch_s[i] * epochs[i]`` seconds,
where an epoch over ``samples`` costs ``per_epoch + rate * samples``.
Work mode finds the smallest makespan ``T`` whose integer epochs
``clip(floor((T - overhead) / epoch_s), min_epochs, max_epochs)`` still do at least the
target sample-epochs; feasibility grows with ``T``, so a bisection finds it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def epochs_within(T: float, overhead: NDArray, epoch_s: NDArray, min_e: int,
                  max_e: float) -> NDArray:
    """The most whole epochs each endpoint fits in ``T`` seconds, clipped to the bounds."""
    with np.errstate(divide="ignore", invalid="ignore"):
        fit = np.floor((T - overhead) / epoch_s + 1e-9)
    return np.clip(fit, min_e, max_e).astype(np.int64)


def balance_work(overhead: NDArray, epoch_s: NDArray, samples: NDArray, target: float,
                 min_e: int, max_e: float, iters: int = 100) -> NDArray:
    """Epochs per endpoint with ``sum(samples * epochs) >= target`` and the least makespan.

    Among the epoch vectors that reach that makespan, the one with the lowest common cap
    is returned, so fast endpoints share the extra work evenly instead of one of them
    filling all the slack.  If even ``max_e`` everywhere falls short of the target, every
    endpoint gets ``max_e``.
    """
    return _least_cap(_fastest(overhead, epoch_s, samples, target, min_e, max_e, iters),
                      samples, target, min_e)


def _least_cap(room: NDArray, samples: NDArray, target: float, min_e: int) -> NDArray:
    """``min(room, C)`` for the smallest whole cap ``C`` that still reaches ``target``."""
    lo, hi = min_e, int(np.max(room))
    if np.sum(samples * room) < target:
        return room
    while lo < hi:
        cap = (lo + hi) // 2
        if np.sum(samples * np.minimum(room, cap)) >= target:
            hi = cap
        else:
            lo = cap + 1
    return np.minimum(room, lo)


def _fastest(overhead: NDArray, epoch_s: NDArray, samples: NDArray, target: float, min_e: int,
             max_e: float, iters: int) -> NDArray:
    """The epochs each endpoint fits within the smallest makespan that reaches ``target``."""
    lo = float(np.max(overhead + epoch_s * min_e))
    if np.sum(samples * epochs_within(lo, overhead, epoch_s, min_e, max_e)) >= target:
        return epochs_within(lo, overhead, epoch_s, min_e, max_e)
    if not np.isfinite(max_e):
        # Enough time for the target even if one endpoint did it all.
        hi = float(np.max(overhead + epoch_s * np.maximum(min_e, np.ceil(target / samples))))
    else:
        hi = float(np.max(overhead + epoch_s * max_e))
        if np.sum(samples * max_e) < target:
            return np.full(len(overhead), int(max_e), dtype=np.int64)
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        if np.sum(samples * epochs_within(mid, overhead, epoch_s, min_e, max_e)) >= target:
            hi = mid
        else:
            lo = mid
        if hi - lo <= 1e-6 * hi:  # a makespan within a millionth is as good
            break
    return epochs_within(hi, overhead, epoch_s, min_e, max_e)


def fit_deadline(overhead: NDArray, epoch_s: NDArray, deadline: float, min_e: int,
                 max_e: float) -> NDArray:
    """The most whole epochs (at most ``max_e``) each endpoint fits before ``deadline``.

    Endpoints that cannot fit ``min_e`` epochs get 0.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        fit = np.floor((deadline - overhead) / epoch_s + 1e-9)
    fit = np.minimum(fit, max_e)
    return np.where(fit >= min_e, fit, 0).astype(np.int64)


def samples_within(T: float, overhead: NDArray, per_epoch: NDArray, rate: NDArray,
                   epochs: NDArray | float) -> NDArray:
    """The most samples each endpoint trains ``epochs`` times in ``T`` seconds (unclipped:
    below 1 where even one sample does not fit)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.floor(((T - overhead) / epochs - per_epoch) / rate + 1e-9)


def fill_slack(overhead: NDArray, per_epoch: NDArray, rate: NDArray, samples: NDArray,
               epochs: NDArray, makespan: float, max_e: float, tol: float = 0.1,
               min_fraction: float = 0.5) -> tuple[NDArray, NDArray]:
    """Let endpoints that would idle take one more epoch on fewer samples.

    Whole epochs are coarse on a slow endpoint: at one epoch it may finish far before the
    round.  Where an endpoint would finish more than ``tol`` early, give it one more epoch
    over the most samples that still finish by ``makespan``, if that is more sample-epochs
    and keeps at least ``min_fraction`` of its samples.  Returns new (samples, epochs).
    """
    finish = overhead + (per_epoch + rate * samples) * epochs
    more = np.minimum(epochs + 1, max_e)
    fit = samples_within(makespan, overhead, per_epoch, rate, more)
    take = ((finish < (1 - tol) * makespan) & (more > epochs) & (fit * more > samples * epochs)
            & (fit >= min_fraction * samples) & (epochs > 0))
    new_samples = np.where(take, np.minimum(fit, samples), samples).astype(np.int64)
    return new_samples, np.where(take, more, epochs).astype(np.int64)
