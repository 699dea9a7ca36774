"""Data sources a training task can load at its endpoint.

A data spec is a small dict that travels with the task:
``{"source": "sklearn:digits", "indices": [...]}`` picks rows of the digits training
split (the validation split is held out with a fixed seed); ``{"source": "npz:PATH"}``
loads ``x`` and ``y`` arrays from a file at the endpoint.
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
    """Load ``(x, y)`` for a data spec."""
    source = str(spec.get("source", ""))
    if source == "sklearn:digits":
        (x, y), _ = digits_split()
        idx = spec.get("indices")
        return (x, y) if idx is None else (x[np.asarray(idx, dtype=np.int64)],
                                           y[np.asarray(idx, dtype=np.int64)])
    if source.startswith("npz:"):
        with np.load(source[4:]) as f:
            return f["x"], f["y"]
    raise ConfigError(f"unknown data source {source!r} (use sklearn:digits or npz:PATH)",
                      field="data.source")
