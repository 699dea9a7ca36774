"""Threads and cores, Amdahl-style: ``seconds = serial + parallel / threads``."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from profiler.law import LinearLaw


def inverse_threads(threads: ArrayLike) -> NDArray:
    """``1 / threads``; 0 (the runtime's default) counts as one thread."""
    return 1.0 / np.maximum(np.asarray(threads, dtype=float), 1.0)


class AmdahlModel(LinearLaw):
    """Time of a fixed job on ``threads`` threads.  ``X`` column: threads.

    The parallel fraction is ``coef_[1] / coef_.sum()`` (time on one thread split into
    its serial and parallel parts).

    Parameters are those of :class:`~profiler.law.LinearLaw`.
    """

    terms = ("serial_s", "parallel_s")
    columns = ("threads",)

    def basis(self, X: ArrayLike) -> NDArray:
        A = self._columns(X)
        return np.column_stack([np.ones(len(A)), inverse_threads(A[:, 0])])

    @property
    def parallel_fraction_(self) -> float:
        total = float(self.coef_.sum())
        return float(self.coef_[1]) / total if total > 0 else 0.0
