"""Work: ``seconds = per_epoch * epochs + per_step * steps + per_sample * samples * epochs``.

Keras trains in steps of ``batch_size`` samples; small models pay mostly a fixed cost per
step (Python, kernel launches), large ones per sample, so both terms are kept.  Every
epoch also pays a fixed cost whatever its samples (a fresh dataset iterator, the
callbacks and logs at its end): ~0.05 s here, the larger part of a short epoch.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from profiler.law import LinearLaw


def steps(samples: NDArray, epochs: NDArray, batch_size: NDArray) -> NDArray:
    """Optimizer steps of a task; ``batch_size`` 0 (unknown) counts one step per epoch."""
    b = np.where(batch_size > 0, batch_size, np.maximum(samples, 1))
    return epochs * np.ceil(samples / b)


class WorkModel(LinearLaw):
    """Training time proportional to work.  ``X`` columns: samples, epochs, batch_size.

    Parameters are those of :class:`~profiler.law.LinearLaw`.
    """

    terms = ("per_epoch_s", "per_step_s", "per_sample_epoch_s")
    columns = ("samples", "epochs", "batch_size")

    def basis(self, X: ArrayLike) -> NDArray:
        A = self._columns(X)
        return np.column_stack([A[:, 1], steps(A[:, 0], A[:, 1], A[:, 2]), A[:, 0] * A[:, 1]])
