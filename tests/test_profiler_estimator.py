"""The profiler's models keep scikit-learn's contract without importing it to plan."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from sklearn.base import clone, is_regressor
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV

from profiler.composite import CompositeModel
from profiler.prior import HardwarePrior
from profiler.work import WorkModel
from tests.conftest import ROOT


def work_data(n: int = 30) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.integers(50, 2000, n), rng.integers(1, 12, n), np.full(n, 32)])
    return X, (2e-3 * np.ceil(X[:, 0] / 32) * X[:, 1] + 5e-5 * X[:, 0] * X[:, 1]) * \
        rng.lognormal(0, 0.05, n)


def test_sklearn_sees_a_regressor_it_can_clone_tune_and_score():
    model = CompositeModel(variables=("work", "batch"), huber_c=2.0)
    assert is_regressor(model) and is_regressor(HardwarePrior())
    twin = clone(model)
    assert twin is not model and twin.get_params() == model.get_params()
    assert repr(model) == "CompositeModel(huber_c=2.0, variables=('work', 'batch'))"
    assert model.set_params(max_iter=5) is model and model.max_iter == 5
    with pytest.raises(ValueError, match="invalid parameter 'nope'"):
        model.set_params(nope=1)
    X, y = work_data()
    search = GridSearchCV(WorkModel(), {"huber_c": [1.0, 3.0]}, cv=3).fit(X, y)
    assert search.best_estimator_.coef_.shape == (3,)
    assert WorkModel().fit(X, y).score(X, y) > 0.95
    with pytest.raises(NotFittedError):
        WorkModel().predict(X)


def test_planning_imports_no_sklearn_pandas_or_scipy_stats():
    code = ("import sys; from delta.cli import main\n"
            "try:\n main(['plan', 'examples/flox-testbed.yaml', '-o', "
            "'examples/flox-observations.csv', '--no-store', '-f', 'json'])\n"
            "except SystemExit: pass\n"
            "print('LOADED', [m for m in ('sklearn', 'pandas', 'scipy.stats') "
            "if m in sys.modules])")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                       check=False)
    assert "LOADED []" in r.stdout, r.stdout + r.stderr
    assert '"assignments"' in r.stdout  # it planned
