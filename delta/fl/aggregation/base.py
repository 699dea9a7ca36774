"""The aggregation base: weighted averaging of model updates, as pure functions.

An update is a list of numpy arrays (one per layer).  Aggregation is memory-bound, so
every update is folded in place with no temporary array: BLAS ``axpy``
(``acc += w * x``, one fused pass) for float32/float64, otherwise ``np.multiply(x, w,
out=buf); np.add(acc, buf, out=acc)`` through a small cache-resident buffer.

- :func:`weighted_average` (all updates at once) walks the parameters in cache-sized
  blocks and finishes each block of the result while it sits in cache: every update is
  read once and the result written once, the memory-bandwidth bound.
- :class:`EagerFold` (as updates arrive) folds arrivals a few at a time through the
  same blocks, so its running sum is read and written once per few updates, and
  normalised in the last pass.

Arrays keep their floating dtype (float32 stays float32); integer layers become float64.
``bench/aggregation.py`` measures both against the bound.

A stale update (one trained from an older global model, carried into a later round)
counts less: its aggregator weight times :func:`staleness_discount`, after
:func:`rebase` moved it onto the current model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import get_blas_funcs

Weights = list[NDArray]

#: Elements per block of :func:`weighted_average`: 256K float32 (1 MiB, one core's L2)
#: keeps the block of the result in cache while every update streams through it.
BLOCK = 1 << 18
#: Dtypes BLAS ``axpy`` updates in place (others would be converted to a copy).
_BLAS = frozenset(np.dtype(t) for t in (np.float32, np.float64, np.complex64, np.complex128))


@dataclass(frozen=True)
class Update:
    """One endpoint's trained weights and the work behind them.

    ``staleness`` counts the rounds between the global model it trained from and the
    round it is folded into (0: this round's model).
    """

    weights: Weights
    samples: int
    epochs: int
    staleness: int = 0


def staleness_discount(staleness: int, exponent: float) -> float:
    """``(1 + staleness) ** -exponent``: FedAsync's polynomial staleness weight (Xie et
    al., 2019); 1 for a fresh update, and ``exponent`` 0 ignores staleness."""
    if staleness < 0 or exponent < 0:
        raise ValueError(f"staleness and exponent must be non-negative, got {staleness}, "
                         f"{exponent}")
    return float((1.0 + staleness) ** -exponent)


def rebase(update: Weights, base: Weights, now: Weights) -> Weights:
    """``update + (now - base)``, layer by layer: the update's change from the model it
    trained from (``base``), applied to the current model (``now``).  Fresh arrays in
    the update's dtype."""
    _check([np.shape(a) for a in update], base)
    _check([np.shape(a) for a in update], now)
    out: Weights = []
    for x, b, n in zip(update, base, now):
        x = np.asarray(x)
        r = np.subtract(n, b, dtype=x.dtype if x.dtype.kind in "fc" else np.float64)
        np.add(r, x, out=r)
        out.append(r)
    return out


def _flat(a: NDArray, dtype: np.dtype | None = None) -> NDArray:
    """A contiguous 1-D view (a copy only when the layout or dtype needs one)."""
    a = np.ascontiguousarray(a)
    if dtype is None:
        dtype = a.dtype if a.dtype.kind in "fc" else np.dtype(np.float64)
    return a.astype(dtype, copy=False).reshape(-1)


def _check(shapes: Sequence[tuple[int, ...]], update: Weights) -> None:
    if len(update) != len(shapes):
        raise ValueError("updates have different numbers of layers")
    for shape, a in zip(shapes, update):
        if np.shape(a) != shape:
            raise ValueError(f"layer shapes differ: {np.shape(a)} vs {shape}")


def _accumulate(acc: NDArray, x: NDArray, w: float, bufs: dict[np.dtype, NDArray]) -> None:
    """``acc += w * x`` in place (1-D, same dtype), without a temporary array."""
    if acc.dtype in _BLAS:
        get_blas_funcs("axpy", (acc,))(x, acc, a=w)
        return
    buf = bufs.get(acc.dtype)
    if buf is None:
        buf = bufs[acc.dtype] = np.empty(min(BLOCK, acc.size), acc.dtype)
    wt = acc.dtype.type(w)
    for lo in range(0, acc.size, len(buf)):
        hi = min(lo + len(buf), acc.size)
        b = buf[:hi - lo]
        np.multiply(x[lo:hi], wt, out=b)
        np.add(acc[lo:hi], b, out=acc[lo:hi])


def _fold_blocks(acc: NDArray | None, xs: Sequence[NDArray], ws: Sequence[float],
                 scale: float | None, bufs: dict[np.dtype, NDArray]) -> NDArray:
    """``acc += sum_i ws[i] * xs[i]``, then ``acc *= scale``, one cache-sized block at a time.

    Each block of ``acc`` stays in cache while every ``x`` streams through it, so ``acc``
    is read and written once per call however many updates it folds.  ``acc`` ``None``
    starts a fresh sum from ``xs[0]`` (written, never read).  1-D arrays of one dtype.
    """
    fresh = acc is None
    if acc is None:
        acc = np.empty(xs[0].size, xs[0].dtype)
    t = acc.dtype.type
    for lo in range(0, acc.size, BLOCK):
        hi = min(lo + BLOCK, acc.size)
        a = acc[lo:hi]
        if fresh:
            np.multiply(xs[0][lo:hi], t(ws[0]), out=a)
        for x, w in zip(xs[fresh:], ws[fresh:]):
            _accumulate(a, x[lo:hi], w, bufs)
        if scale is not None:
            np.multiply(a, t(scale), out=a)
    return acc


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
    w = (w / w.sum()).tolist()
    first = [np.asarray(a) for a in updates[0]]
    for u in updates[1:]:
        _check([a.shape for a in first], u)
    bufs: dict[np.dtype, NDArray] = {}
    out: Weights = []
    for layer, a0 in enumerate(first):
        x0 = _flat(a0)
        xs = [x0] + [_flat(u[layer], x0.dtype) for u in updates[1:]]
        out.append(_fold_blocks(None, xs, w, None, bufs).reshape(a0.shape))
    return out


class Aggregator:
    """How updates combine into the next global model.

    Subclasses say how much each update counts (:meth:`weight`) and may add options to the
    training task (:meth:`task_options`, a no-op here).
    """

    name = "base"
    #: ``a`` of :func:`staleness_discount`: how fast a stale update's weight falls.
    staleness_exponent = 0.5

    def weight(self, samples: int, epochs: int) -> float:
        raise NotImplementedError

    def update_weight(self, update: Update) -> float:
        """How much ``update`` counts: :meth:`weight`, discounted for its staleness."""
        w = float(self.weight(update.samples, update.epochs))
        if update.staleness:
            w *= staleness_discount(update.staleness, self.staleness_exponent)
        return w

    def task_options(self) -> dict[str, float]:
        """Extra keyword arguments for the training task."""
        return {}

    def aggregate(self, updates: Sequence[Update]) -> Weights:
        """All updates at once."""
        return weighted_average([u.weights for u in updates],
                                [self.update_weight(u) for u in updates])

    def folder(self) -> EagerFold:
        """A running aggregate that folds each update in as it arrives."""
        return EagerFold(self)


class EagerFold:
    """Eager aggregation (as in LIFL): fold updates into a running weighted sum as they arrive.

    The work of aggregation hides in the wait for the round's stragglers; the result is
    the same weighted average as :meth:`Aggregator.aggregate`, in any arrival order.
    Arrivals are folded ``hold`` at a time (:func:`_fold_blocks`), so the running sum —
    megabytes to hundreds of megabytes, beyond the cache for a large model — is read and
    written once per ``hold`` updates instead of once per update; the fold keeps a
    reference to at most ``hold - 1`` updates meanwhile (they are in memory already: do
    not modify them).  ``hold=1`` folds every update at once.  :meth:`result` folds what
    is left and scales the sum in the same pass, and ends the fold.
    """

    def __init__(self, aggregator: Aggregator, hold: int = 4):
        if hold < 1:
            raise ValueError(f"hold must be at least 1, got {hold}")
        self.aggregator = aggregator
        self.hold = hold
        self.total_weight = 0.0
        self.count = 0
        self._sum: list[NDArray] | None = None  # flat, unnormalised
        self._waiting: list[tuple[list[NDArray], float]] = []
        self._shapes: list[tuple[int, ...]] = []
        self._dtypes: list[np.dtype] = []
        self._bufs: dict[np.dtype, NDArray] = {}
        self._result: Weights | None = None

    def fold(self, update: Update) -> None:
        if self._result is not None:
            raise ValueError("the fold has ended: result() was taken")
        w = self.aggregator.update_weight(update)
        if w < 0:
            raise ValueError(f"negative weight {w}")
        if not self._shapes:
            # The first update fixes each layer's shape and dtype.
            self._shapes = [np.shape(a) for a in update.weights]
            self._dtypes = [_flat(a).dtype for a in update.weights]
        else:
            _check(self._shapes, update.weights)
        self._waiting.append(([_flat(a, d) for a, d in zip(update.weights, self._dtypes)], w))
        self.total_weight += w
        self.count += 1
        if len(self._waiting) >= self.hold:
            self._flush(None)

    def _flush(self, scale: float | None) -> None:
        xs = [x for x, _ in self._waiting]
        ws = [w for _, w in self._waiting]
        self._waiting = []
        if self._sum is None:
            self._sum = [_fold_blocks(None, [u[i] for u in xs], ws, scale, self._bufs)
                         for i in range(len(self._shapes))]
        else:
            for i, acc in enumerate(self._sum):
                _fold_blocks(acc, [u[i] for u in xs], ws, scale, self._bufs)

    def result(self) -> Weights:
        """The weighted average of everything folded (the same arrays on every call)."""
        if self._result is not None:
            return self._result
        if self.count == 0 or not self.total_weight > 0:
            raise ValueError("no updates with positive weight were folded")
        self._flush(1.0 / self.total_weight)
        assert self._sum is not None
        self._result = [s.reshape(shape) for s, shape in zip(self._sum, self._shapes)]
        return self._result
