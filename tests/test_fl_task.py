"""The real training task: Keras on the bundled digits."""

from __future__ import annotations

import numpy as np
import pytest

from delta.fl.data import digits_split, load

pytestmark = pytest.mark.slow


def test_digits_split_is_fixed_and_disjoint():
    (xt, yt), (xv, yv) = digits_split()
    (xt2, _), _ = digits_split()
    assert len(xt) + len(xv) == 1797 and len(xv) == 359
    assert np.array_equal(xt, xt2)
    x, y = load({"source": "sklearn:digits", "indices": [0, 5, 7]})
    assert np.array_equal(x, xt[[0, 5, 7]])


def test_train_task_learns_and_reports():
    from delta.fl.task import train_task

    out = train_task("delta.fl.models:digits_mlp", None,
                     {"source": "sklearn:digits", "indices": list(range(600))},
                     samples=500, epochs=5, batch_size=32, learning_rate=0.1)
    assert out["samples"] == 500 and out["epochs"] == 5
    assert all(isinstance(w, np.ndarray) for w in out["weights"])
    assert out["metrics"]["accuracy"] > 0.8
    t = out["timings"]
    assert 0 < t["train"] <= t["total"] and t["load"] >= 0
    # Resuming from the returned weights starts where training left off.
    again = train_task("delta.fl.models:digits_mlp", out["weights"],
                       {"source": "sklearn:digits", "indices": list(range(600))},
                       samples=500, epochs=1, prox_mu=0.01)
    assert again["metrics"]["accuracy"] > 0.8
