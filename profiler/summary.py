"""What ``delta profile show`` reports: fitted curves per variable and the error so far."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from profiler.composite import FEATURES
from profiler.hardware import HardwareSpec
from profiler.profiles import Profile, fit_profiles, observation_matrix, usable

#: Query columns swept for each composite variable (work: samples, and epochs, whose
#: curve shows the cost every epoch pays whatever its samples).
SWEEPS = {"work": ("samples", "epochs"), "batch": ("batch_size",), "threads": ("threads",),
          "model_size": ("model_params",), "bytes": ("bytes",)}
#: Leave-one-out refits at most over this many of the latest runs (keeps `show` fast).
MAX_LOO = 60


@dataclass(frozen=True)
class Curve:
    """p10/p50/p90 seconds as one variable sweeps, the others at the endpoint's median."""

    variable: str
    column: str
    values: list[float]
    quantiles: list[tuple[float, float, float]]


@dataclass(frozen=True)
class ErrorSoFar:
    """Leave-one-out accuracy on the endpoint's own runs."""

    n: int
    median_ape: float
    mean_ape: float
    coverage: float


def curves(profile: Profile, observations: Sequence, points: int = 5) -> list[Curve]:
    """One :class:`Curve` per variable of the profile's model, over the observed range."""
    X, _ = observation_matrix(observations)
    if len(X):
        centre = np.median(X, axis=0)
    else:
        centre = np.array([500, 1, 32, 0, 0, 0], dtype=float)
        for k, v in profile.defaults.items():
            centre[FEATURES.index(k)] = v
    out = []
    for var, col in ((v, c) for v in profile.model.variables for c in SWEEPS[v]):
        j = FEATURES.index(col)
        lo, hi = (X[:, j].min(), X[:, j].max()) if len(X) else (centre[j] / 4, centre[j] * 4)
        if hi <= lo:
            hi = max(2 * lo, 1.0)
        values = np.unique(np.round(np.geomspace(max(lo, 1.0), max(hi, 1.0), points)))
        rows = np.tile(centre, (len(values), 1))
        rows[:, j] = values
        q = profile.quantiles(rows)
        out.append(Curve(var, col, [float(v) for v in values],
                         [tuple(float(x) for x in r) for r in q]))
    return out


def error_so_far(observations: Sequence, hardware: Mapping[str, HardwareSpec], endpoint: str,
                 task: str = "train") -> ErrorSoFar | None:
    """Leave-one-out APE and p10-p90 coverage of the endpoint's latest runs.

    Each run is predicted by a refit without it (the other endpoints stay in), so this is
    the error a prediction made just before that run would have had.  ``None`` with fewer
    than two runs.
    """
    obs = list(observations)
    mine = [i for i, o in enumerate(obs) if o.endpoint == endpoint and usable(o, task)]
    if len(mine) < 2:
        return None
    errs, inside = [], []
    for i in mine[-MAX_LOO:]:
        rest = obs[:i] + obs[i + 1:]
        prof = fit_profiles(rest, hardware, task)[endpoint]
        X, y = observation_matrix([obs[i]])
        q = prof.quantiles(X)[0]
        errs.append(abs(q[1] - y[0]) / y[0])
        inside.append(q[0] <= y[0] <= q[2])
    return ErrorSoFar(len(errs), float(np.median(errs)), float(np.mean(errs)),
                      float(np.mean(inside)))
