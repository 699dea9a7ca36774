"""Data sources a training task can load at its endpoint.

A data spec is a small dict that travels with the task:
``{"source": "sklearn:digits", "indices": [...]}`` picks rows of the digits training
split (the validation split is held out with a fixed seed); ``{"source": "npz:PATH"}``
loads ``x`` and ``y`` arrays from a file at the endpoint; a ``loader`` callable is a
user's own source.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from delta.errors import ConfigError

#: Fraction of digits held out for validation, with a fixed seed, never trained on.
VALIDATION_FRACTION = 0.2
SPLIT_SEED = 1234


def digits_split() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The 8x8 digits as float32 in [0, 1]: ``(train, validation)``, fixed and seeded."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.data / 16.0).astype(np.float32)
    y = d.target.astype(np.int64)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(x))
    n_val = int(round(VALIDATION_FRACTION * len(x)))
    val, train = order[:n_val], order[n_val:]
    return (x[train], y[train]), (x[val], y[val])


def load(spec: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Load ``(x, y)`` for a data spec.

    ``{"source": "sklearn:digits", "split": "validation"}`` is the held-out split;
    ``{"loader": fn, "kwargs": {...}}`` calls a user function returning ``(x, y)`` (it
    travels with the task, serialised like any other argument).
    """
    loader = spec.get("loader")
    if loader is not None:
        x, y = loader(**spec.get("kwargs", {}))
        return np.asarray(x), np.asarray(y)
    source = str(spec.get("source", ""))
    if source == "sklearn:digits":
        train, validation = digits_split()
        x, y = validation if spec.get("split") == "validation" else train
        idx = spec.get("indices")
        return (x, y) if idx is None else (x[np.asarray(idx, dtype=np.int64)],
                                           y[np.asarray(idx, dtype=np.int64)])
    if source.startswith("npz:"):
        with np.load(source[4:]) as f:
            return f["x"], f["y"]
    raise ConfigError(f"unknown data source {source!r} (use sklearn:digits or npz:PATH)",
                      field="data.source")


def endpoint_specs(endpoints: list, seed: int, alpha: float | None = None,
                   base_dir: str | None = None) -> dict[str, dict[str, Any]]:
    """Each endpoint's data spec from its ``data`` block.

    ``sklearn:digits`` endpoints split the training part by their ``data.samples`` —
    IID, or Dirichlet non-IID with ``alpha`` — from ``seed``, so every strategy of a
    comparison trains on the same local data.  ``npz:PATH`` is resolved against
    ``base_dir`` (the testbed's directory) because tasks run in the endpoint's own
    working directory.
    """
    import os

    from delta.fl.partition import partition_dirichlet, partition_iid

    specs: dict[str, dict[str, Any]] = {}
    digits = [e for e in endpoints if e.data.source == "sklearn:digits"]
    if digits:
        (_, y), _ = digits_split()
        sizes = [e.data.samples for e in digits]
        parts = (partition_iid(len(y), sizes, seed) if alpha is None
                 else partition_dirichlet(y, sizes, alpha, seed))
        for e, idx in zip(digits, parts):
            specs[e.id] = {"source": "sklearn:digits", "indices": idx.tolist()}
    for i, e in enumerate(endpoints):
        src = e.data.source
        if src.startswith("npz:"):
            path = os.path.join(base_dir or os.getcwd(), os.path.expanduser(src[4:]))
            if not os.path.isfile(path):
                raise ConfigError(f"no such file {path!r}", field=f"endpoints[{i}].data.source")
            specs[e.id] = {"source": "npz:" + os.path.abspath(path)}
        elif src != "sklearn:digits":
            raise ConfigError(f"unknown data source {src!r} (use sklearn:digits or npz:PATH)",
                              field=f"endpoints[{i}].data.source")
    return specs
