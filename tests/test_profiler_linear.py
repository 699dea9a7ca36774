from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from profiler.linear import WorkLinearModel


def grid(n=12, seed=0):
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.integers(50, 1000, n), rng.integers(1, 20, n)])
    return X


def test_exact_recovery_of_a_known_law():
    X = grid()
    y = 1.7 + 3e-4 * X[:, 0] * X[:, 1]
    m = WorkLinearModel().fit(X, y)
    assert m.overhead_ == pytest.approx(1.7, rel=1e-6)
    assert m.k_ == pytest.approx(3e-4, rel=1e-6)


def test_one_outlier_does_not_wreck_the_fit():
    X = grid(15)
    y = 1.0 + 1e-3 * X[:, 0] * X[:, 1]
    y[3] *= 8  # a preempted run
    m = WorkLinearModel().fit(X, y)
    assert m.k_ == pytest.approx(1e-3, rel=0.05)
    assert m.overhead_ == pytest.approx(1.0, rel=0.2)


def test_estimator_contract():
    m = WorkLinearModel(huber_c=2.0)
    assert clone(m).get_params() == {"huber_c": 2.0, "max_iter": 30}
    with pytest.raises(NotFittedError):
        m.predict([[1, 1]])
    assert m.fit(grid(), np.ones(12) * 2) is m


def test_intervals_widen_when_extrapolating():
    X = grid()
    y = 1.0 + 1e-3 * X[:, 0] * X[:, 1] * np.random.default_rng(1).lognormal(0, 0.05, 12)
    m = WorkLinearModel().fit(X, y)
    q_in, q_out = m.predict_quantiles([[500, 10], [5000, 100]])
    assert q_in[0] < q_in[1] < q_in[2]
    assert q_out[2] / q_out[1] > q_in[2] / q_in[1]
    assert q_out[2] / q_out[1] < 10  # wider, not absurd
