"""Every per-variable model: the estimator contract, exact recovery, robustness."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from profiler.composite import VARIABLES, CompositeModel
from profiler.model_size import ModelSizeModel
from profiler.overhead import OverheadModel
from profiler.prior import HardwarePrior
from profiler.threads import AmdahlModel
from profiler.transfer import TransferModel, fit_transfer, transfer_quantiles
from profiler.work import WorkModel


def _composite_X(rng, n):
    return np.column_stack([rng.integers(50, 2000, n), rng.integers(1, 12, n),
                            rng.choice([16, 32, 128], n), rng.choice([1, 2, 4], n),
                            rng.choice([5_000, 100_000, 400_000], n),
                            rng.integers(0, 10**7, n)])


# (model, X generator, true coefficients): each law is seconds = basis(X) @ coef.
CASES = {
    "work": (WorkModel(), lambda r, n: np.column_stack(
        [r.integers(50, 2000, n), r.integers(1, 12, n), r.choice([16, 32, 128], n)]),
        np.array([0.05, 2e-3, 5e-5])),
    "overhead": (OverheadModel(), lambda r, n: r.integers(1_000, 2_000_000, (n, 1)),
                 np.array([0.8, 0.5])),
    "threads": (AmdahlModel(), lambda r, n: r.integers(1, 17, (n, 1)), np.array([1.0, 7.0])),
    "model_size": (ModelSizeModel(), lambda r, n: r.integers(1_000, 2_000_000, (n, 1)),
                   np.array([0.3, 2.0])),
    "bytes": (TransferModel(), lambda r, n: r.integers(1_000, 10**8, (n, 1)),
              np.array([0.04, 0.08])),
    "composite": (CompositeModel(variables=VARIABLES), _composite_X,
                  np.array([0.5, 0.2, 0.01, 0.04, 1e-3, 4e-3, 0, 3e-3, 1e-5, 2e-5, 0, 1e-4])),
}


@pytest.fixture(params=sorted(CASES))
def case(request):
    model, gen, coef = CASES[request.param]
    rng = np.random.default_rng(0)
    X = gen(rng, 40)
    return clone(model), X, model.basis(X) @ coef, coef


def test_estimator_contract(case):
    model, X, y, _ = case
    params = model.get_params()
    assert clone(model).get_params().keys() == params.keys()
    assert not any(k.endswith("_") for k in vars(model))  # __init__ only stores
    with pytest.raises(NotFittedError):
        model.predict(X)
    assert model.fit(X, y) is model
    assert model.predict(X).shape == (len(X),)
    q = model.predict_quantiles(X)
    assert q.shape == (len(X), 3) and np.all(q[:, 0] <= q[:, 1]) and np.all(q[:, 1] <= q[:, 2])
    assert model.get_params() == params  # fitting does not touch the parameters
    with pytest.raises(TypeError):
        type(model)(0.1)  # keyword-only


def test_exact_recovery_of_a_known_law(case):
    model, X, y, coef = case
    model.fit(X, y)
    np.testing.assert_allclose(model.predict(X), y, rtol=1e-3)
    rng = np.random.default_rng(5)
    X_new = CASES_BY_TYPE[type(model)](rng, 10)
    np.testing.assert_allclose(model.predict(X_new), model.basis(X_new) @ coef, rtol=1e-2)


CASES_BY_TYPE = {type(m): g for m, g, _ in CASES.values()}


def test_one_outlier_does_not_wreck_the_fit(case):
    model, X, y, _ = case
    y = y * np.random.default_rng(1).lognormal(0, 0.03, len(y))
    clean = clone(model).fit(X, y).predict(X)
    y[7] *= 8  # a preempted run
    y[11] *= 5  # and a cold start
    robust = model.fit(X, y).predict(X)
    assert np.median(np.abs(robust - clean) / clean) < 0.03


def test_intervals_widen_when_extrapolating():
    rng = np.random.default_rng(2)
    X = np.column_stack([rng.integers(100, 500, 20), rng.integers(1, 5, 20), np.full(20, 32)])
    y = (0.002 * np.ceil(X[:, 0] / 32) * X[:, 1] + 1e-4 * X[:, 0] * X[:, 1]) * rng.lognormal(
        0, 0.05, 20)
    m = WorkModel().fit(X, y)
    q_in, q_out = m.predict_quantiles([[300, 3, 32], [5000, 50, 32]])
    assert q_out[2] / q_out[1] > q_in[2] / q_in[1]
    assert q_out[2] / q_out[1] < 10  # wider, not absurd


def test_amdahl_parallel_fraction():
    T = np.array([[1], [2], [4], [8]])
    m = AmdahlModel().fit(T, 1.0 + 3.0 / T[:, 0])
    assert m.parallel_fraction_ == pytest.approx(0.75, abs=1e-3)


def test_hardware_prior_learns_across_endpoints():
    rng = np.random.default_rng(0)
    H = np.column_stack([np.log(rng.uniform(1, 4, 12)), np.log(rng.integers(1, 16, 12)),
                         np.zeros(12), rng.integers(0, 2, 12), np.zeros(12)])
    y = 1.0 - 1.0 * H[:, 0] - 0.3 * H[:, 1] + 0.7 * H[:, 3]  # arm is slower
    hp = HardwarePrior(alpha=0.01).fit(H, y)
    assert hp.coef_[3] == pytest.approx(0.7, abs=0.05)
    assert np.max(np.abs(hp.predict(H) - y)) < 0.05
    one = HardwarePrior().fit(H[:1], y[:1])  # one endpoint: the heuristic's slopes
    assert one.coef_[0] == pytest.approx(-1.0)


def test_transfer_falls_back_to_the_declared_link_and_learns_the_real_one():
    declared = transfer_quantiles(10e6, bandwidth_mbps=100, latency_ms=20)
    assert declared.p50 == pytest.approx(0.02 + 0.8)
    assert declared.p10 < declared.p50 < declared.p90
    b = np.array([1e5, 1e6, 5e6, 2e7, 4e7, 8e6])
    real = 0.05 + b * 8 / 25e6  # the link really does 25 Mbit/s
    m = fit_transfer(b, real, bandwidth_mbps=100, latency_ms=20)
    assert m.coef_[1] == pytest.approx(8 / 25, rel=0.03)
    learned = transfer_quantiles(10e6, b, real, bandwidth_mbps=100, latency_ms=20)
    assert learned.p50 == pytest.approx(0.05 + 3.2, rel=0.02)
    assert (learned.p90 - learned.p10) / learned.p50 < (declared.p90 - declared.p10) / declared.p50
