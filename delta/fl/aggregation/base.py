"""The aggregation base: weighted averaging of model updates, as pure functions.

An update is a list of numpy arrays (one per layer).  Each update is folded into the
running sum with one BLAS ``axpy`` per layer (``acc += w * x`` in place, no temporary),
so aggregation reads every update once: near the memory-bandwidth bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import get_blas_funcs

Weights = list[NDArray]


@dataclass(frozen=True)
class Update:
    """One endpoint's trained weights and the work behind them."""

    weights: Weights
    samples: int
    epochs: int


def _as_float(a: NDArray) -> NDArray:
    a = np.ascontiguousarray(a)
    return a if a.dtype.kind in "fc" else a.astype(np.float64)


def _start(update: Weights, w: float) -> list[NDArray]:
    return [np.multiply(a, a.dtype.type(w)) for a in map(_as_float, update)]


def _fold_into(acc: list[NDArray], update: Weights, w: float) -> None:
    if len(update) != len(acc):
        raise ValueError("updates have different numbers of layers")
    for s, a in zip(acc, update):
        a = _as_float(a)
        if a.shape != s.shape:
            raise ValueError(f"layer shapes differ: {a.shape} vs {s.shape}")
        axpy = get_blas_funcs("axpy", (s,))
        # axpy works in place on a contiguous accumulator: s += w * a with one pass.
        axpy(a.astype(s.dtype, copy=False).ravel(), s.ravel(), a=w)


def weighted_average(updates: Sequence[Weights], weights: Sequence[float]) -> Weights:
    """``sum_i w_i * update_i / sum_i w_i``, layer by layer, in the updates' dtype.

    Raises
    ------
    ValueError
        No updates, mismatched layers, or weights that do not sum to a positive number.
    """
    if not updates:
        raise ValueError("no updates to aggregate")
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (len(updates),) or not np.all(w >= 0) or not w.sum() > 0:
        raise ValueError(f"need one non-negative weight per update with a positive sum, got {w}")
    w = w / w.sum()
    acc = _start(updates[0], float(w[0]))
    for u, wi in zip(updates[1:], w[1:]):
        _fold_into(acc, u, float(wi))
    return acc


class Aggregator:
    """How updates combine into the next global model.

    Subclasses say how much each update counts (:meth:`weight`) and may add options to the
    training task (:meth:`task_options`, a no-op here).
    """

    name = "base"

    def weight(self, samples: int, epochs: int) -> float:
        raise NotImplementedError

    def task_options(self) -> dict[str, float]:
        """Extra keyword arguments for the training task."""
        return {}

    def aggregate(self, updates: Sequence[Update]) -> Weights:
        """All updates at once."""
        return weighted_average([u.weights for u in updates],
                                [self.weight(u.samples, u.epochs) for u in updates])

    def folder(self) -> EagerFold:
        """A running aggregate that folds each update in as it arrives."""
        return EagerFold(self)


class EagerFold:
    """Eager aggregation (as in LIFL): fold each update into a running weighted sum.

    The work of aggregation hides in the wait for the round's stragglers; the result is
    the same weighted average as :meth:`Aggregator.aggregate`, in any arrival order.
    """

    def __init__(self, aggregator: Aggregator):
        self.aggregator = aggregator
        self.total_weight = 0.0
        self.count = 0
        self._sum: list[NDArray] | None = None

    def fold(self, update: Update) -> None:
        w = float(self.aggregator.weight(update.samples, update.epochs))
        if w < 0:
            raise ValueError(f"negative weight {w}")
        if self._sum is None:
            self._sum = _start(update.weights, w)
        else:
            _fold_into(self._sum, update.weights, w)
        self.total_weight += w
        self.count += 1

    def result(self) -> Weights:
        if self._sum is None or not self.total_weight > 0:
            raise ValueError("no updates with positive weight were folded")
        return [s * s.dtype.type(1.0 / self.total_weight) for s in self._sum]
