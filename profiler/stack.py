"""Many runtime profiles queried at once: arrays in, arrays out.

The tuner asks every endpoint's profile the same questions (what a round costs at home,
what it would cost on a target).  One Python call per profile made a 100,000-endpoint plan
take seconds; :class:`ProfileStack` stacks the fitted composite laws that share a basis
(their coefficients, covariances and noise) and answers for all of them with a few numpy
operations.  Profiles of other kinds (any :class:`~profiler.base.RuntimeProfile`) are
asked one by one, so the stack accepts whatever the planner is given.  Pure.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from profiler.base import RuntimeProfile
from profiler.composite import CompositeModel
from profiler.law import law_quantiles
from profiler.profiles import Profile

#: Columns of a query row that a profile fills from its own typical values.
_DEFAULTED = ("threads", "model_params", "bytes")


class _Group:
    """Fitted composite models sharing one basis (the same variables), stacked."""

    def __init__(self) -> None:
        self.models: list[CompositeModel] = []

    @property
    def template(self) -> CompositeModel:
        return self.models[0]

    def add(self, model: CompositeModel) -> int:
        self.models.append(model)
        return len(self.models) - 1

    def freeze(self) -> None:
        self.coef = np.array([m.coef_ for m in self.models])
        self.cov = np.array([m.cov_ for m in self.models])
        self.sigma = np.array([m.sigma_ for m in self.models], dtype=float)


class ProfileStack:
    """Profiles ``0..n-1`` answering queries as arrays, equal to asking each one.

    Parameters
    ----------
    profiles:
        The profiles, in the order queries index them.

    Examples
    --------
    >>> from profiler import HardwareSpec, fit_profiles
    >>> profs = fit_profiles([], {"a": HardwareSpec(), "b": HardwareSpec(cores=8)})
    >>> stack = ProfileStack(list(profs.values()))
    >>> once, per_epoch = stack.epoch_cost([1000, 1000], 32)
    >>> bool(per_epoch[0] > per_epoch[1])
    True
    """

    def __init__(self, profiles: Sequence[RuntimeProfile]):
        self.profiles = list(profiles)
        groups: dict[tuple[str, ...], int] = {}
        self._groups: list[_Group] = []
        # Thousands of profiles share one model and one defaults dict (fit_profiles gives
        # identical hardware one prior): each is looked at once.
        placed: dict[int, tuple[int, int]] = {}
        defaults: dict[int, int] = {}
        table: list[tuple[float, ...]] = [(0.0,) * len(_DEFAULTED)]
        at_rows, d_rows = [], []
        for p in self.profiles:
            if not isinstance(p, Profile) or not isinstance(p.model, CompositeModel):
                at_rows.append((-1, 0))  # asked one by one
                d_rows.append(0)
                continue
            at = placed.get(id(p.model))
            if at is None:
                g = groups.setdefault(tuple(p.model.variables), len(groups))
                if g == len(self._groups):
                    self._groups.append(_Group())
                at = placed[id(p.model)] = (g, self._groups[g].add(p.model))
            at_rows.append(at)
            d = defaults.get(id(p.defaults))
            if d is None:
                d = defaults[id(p.defaults)] = len(table)
                table.append(tuple(float(p.defaults.get(k, 0.0)) for k in _DEFAULTED))
            d_rows.append(d)
        at_arr = np.array(at_rows, dtype=np.int64).reshape(-1, 2)
        self._group, self._model = at_arr[:, 0].copy(), at_arr[:, 1].copy()
        self._defaults = np.array(table)[np.array(d_rows, dtype=np.int64)]
        for grp in self._groups:
            grp.freeze()

    def __len__(self) -> int:
        return len(self.profiles)

    def _shape(self, which: ArrayLike | None, *cols: ArrayLike) -> tuple[NDArray, ...]:
        """The profile index of each query and its columns, broadcast to one length."""
        w = (np.arange(len(self)) if which is None
             else np.atleast_1d(np.asarray(which, dtype=np.int64)))
        return (w, *(np.broadcast_to(np.asarray(c, dtype=float), w.shape) for c in cols))

    def _rows(self, which: NDArray, samples: NDArray, epochs: NDArray,
              batch_size: float) -> NDArray:
        return np.column_stack([samples, epochs, np.full(len(which), float(batch_size)),
                                self._defaults[which]])

    def epoch_cost(self, samples: ArrayLike, batch_size: int,
                   which: ArrayLike | None = None) -> tuple[NDArray, NDArray]:
        """``(overhead_s, seconds_per_epoch)`` arrays at the median, as
        :meth:`RuntimeProfile.epoch_cost` per profile.

        ``which`` names the profile of each query (default: one query per profile, in
        order); ``samples`` broadcasts to its length.
        """
        w, s = self._shape(which, samples)
        once, per_epoch = np.zeros(len(w)), np.zeros(len(w))
        for rows, grp, mi in self._split(w):
            A = self._rows(w[rows], s[rows], np.zeros(len(rows)), batch_size)
            C = grp.coef[mi]
            once[rows] = np.einsum("ij,ij->i", grp.template.basis(A), C)
            A[:, 1] = 1
            per_epoch[rows] = np.einsum("ij,ij->i", grp.template.basis(A), C) - once[rows]
        for i in np.flatnonzero(self._group[w] < 0).tolist():
            once[i], per_epoch[i] = self.profiles[w[i]].epoch_cost(int(s[i]), batch_size)
        return once, per_epoch

    def quantiles(self, samples: ArrayLike, epochs: ArrayLike, batch_size: int,
                  which: ArrayLike | None = None) -> NDArray:
        """``(n, 3)`` p10/p50/p90 seconds of one task per query, as
        :meth:`RuntimeProfile.predict` per profile (``which`` as for :meth:`epoch_cost`)."""
        w, s, e = self._shape(which, samples, epochs)
        out = np.zeros((len(w), 3))
        for rows, grp, mi in self._split(w):
            Phi = grp.template.basis(self._rows(w[rows], s[rows], e[rows], batch_size))
            out[rows] = law_quantiles(Phi, grp.coef[mi], grp.cov[mi], grp.sigma[mi])
        for i in np.flatnonzero(self._group[w] < 0).tolist():
            q = self.profiles[w[i]].predict(int(s[i]), int(e[i]), batch_size)
            out[i] = (q.p10, q.p50, q.p90)
        return out

    def _split(self, w: NDArray) -> Iterator[tuple[NDArray, _Group, NDArray]]:
        """Per stacked group: the query rows it answers and their model indices."""
        g = self._group[w]
        for k, grp in enumerate(self._groups):
            rows = np.flatnonzero(g == k)
            if len(rows):
                yield rows, grp, self._model[w[rows]]
