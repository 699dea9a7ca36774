"""Model size: the cost of a unit of work grows linearly with the parameter count.

``seconds = base + per_mparam * model_params / 1e6`` for a fixed amount of work; in the
composite model this is a factor on the work terms (a larger model makes every step and
every sample dearer), while :mod:`profiler.overhead` covers what is paid once.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from profiler.law import LinearLaw
from profiler.overhead import mparams


class ModelSizeModel(LinearLaw):
    """Time of a fixed amount of work against model size.  ``X`` column: model_params.

    Parameters are those of :class:`~profiler.law.LinearLaw`.
    """

    terms = ("base_s", "per_mparam_s")
    columns = ("model_params",)

    def basis(self, X: ArrayLike) -> NDArray:
        A = self._columns(X)
        return np.column_stack([np.ones(len(A)), mparams(A[:, 0])])
