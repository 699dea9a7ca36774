"""Partitioning a training split across endpoints: IID or Dirichlet non-IID.

Pure functions of the labels, the sizes and a seed, so every strategy in a comparison
sees exactly the same local data.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray


def partition_iid(n_items: int, sizes: Sequence[int], seed: int) -> list[NDArray]:
    """Disjoint random index sets of the given sizes (reused cyclically if they overflow).

    When the sizes add up to more than ``n_items`` the shuffled order wraps around, so
    endpoints then share some items; no endpoint ever holds the same item twice.
    """
    order = np.random.default_rng(seed).permutation(n_items)
    out, start = [], 0
    for size in sizes:
        size = min(int(size), n_items)
        idx = np.take(order, np.arange(start, start + size), mode="wrap")
        out.append(np.sort(idx))
        start += size
    return out


def partition_dirichlet(labels: NDArray, sizes: Sequence[int], alpha: float,
                        seed: int) -> list[NDArray]:
    """Non-IID index sets: each endpoint's class mix is drawn from ``Dirichlet(alpha)``.

    Small ``alpha`` (e.g. 0.1) gives each endpoint a few dominant classes; large ``alpha``
    approaches IID.  Items are drawn without replacement from per-class pools; when a
    class pool runs dry the endpoint takes the rest from the classes that still have items.
    """
    if not alpha > 0:
        raise ValueError(f"alpha must be positive, got {alpha}")
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    classes = np.unique(labels)
    pools = [list(rng.permutation(np.flatnonzero(labels == c))) for c in classes]
    out = []
    for size in sizes:
        want = rng.multinomial(min(int(size), len(labels)), rng.dirichlet([alpha] * len(classes)))
        take: list[int] = []
        for c, k in enumerate(want):
            take += pools[c][:k]
            del pools[c][:k]
        short = min(int(size), len(labels)) - len(take)
        while short > 0 and any(pools):
            c = max(range(len(pools)), key=lambda j: len(pools[j]))
            k = min(short, len(pools[c]))
            take += pools[c][:k]
            del pools[c][:k]
            short -= k
        out.append(np.sort(np.asarray(take, dtype=np.int64)))
    return out
