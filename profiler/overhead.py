"""Fixed overhead: ``seconds = start_up + per_mparam * model_params / 1e6``.

Start-up, model build and graph tracing are paid once per task whatever the work; build
and tracing grow with the model.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from profiler.law import LinearLaw


def mparams(model_params: ArrayLike) -> NDArray:
    """Model size in millions of parameters (keeps the basis well scaled)."""
    return np.asarray(model_params, dtype=float) / 1e6


class OverheadModel(LinearLaw):
    """Per-task fixed cost.  ``X`` column: model_params.

    Parameters are those of :class:`~profiler.law.LinearLaw`.
    """

    terms = ("start_up_s", "per_mparam_s")
    columns = ("model_params",)

    def basis(self, X: ArrayLike) -> NDArray:
        A = self._columns(X)
        return np.column_stack([np.ones(len(A)), mparams(A[:, 0])])
