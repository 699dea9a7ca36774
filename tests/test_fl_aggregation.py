"""Aggregation math, exact against hand computation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from delta.fl.aggregation import FedAvg, FedProx, Update, make_aggregator, weighted_average


def _updates():
    a = [np.array([1.0, 2.0]), np.array([[0.0, 4.0]])]
    b = [np.array([3.0, 6.0]), np.array([[8.0, 0.0]])]
    c = [np.array([5.0, -2.0]), np.array([[4.0, 4.0]])]
    return a, b, c


def test_weighted_average_by_hand():
    a, b, c = _updates()
    out = weighted_average([a, b, c], [1, 2, 1])
    # layer 0: (1*[1,2] + 2*[3,6] + 1*[5,-2]) / 4 = [12, 12] / 4
    np.testing.assert_array_equal(out[0], [3.0, 3.0])
    # layer 1: (1*[0,4] + 2*[8,0] + 1*[4,4]) / 4 = [20, 8] / 4
    np.testing.assert_array_equal(out[1], [[5.0, 2.0]])
    assert out[1].shape == (1, 2)


def test_fedavg_weightings_by_hand():
    a, b, _ = _updates()
    ups = [Update(a, samples=100, epochs=1), Update(b, samples=300, epochs=3)]
    np.testing.assert_array_equal(FedAvg("samples").aggregate(ups)[0],
                                  [(100 * 1 + 300 * 3) / 400, (100 * 2 + 300 * 6) / 400])
    # sample-epochs: weights 100 and 900
    np.testing.assert_allclose(FedAvg("sample_epochs").aggregate(ups)[0],
                               [(100 * 1 + 900 * 3) / 1000, (100 * 2 + 900 * 6) / 1000],
                               rtol=1e-15)
    np.testing.assert_array_equal(FedAvg("equal").aggregate(ups)[0], [2.0, 4.0])


def test_eager_fold_equals_batch_in_any_order():
    rng = np.random.default_rng(3)
    ups = [Update([rng.standard_normal((3, 4)), rng.standard_normal(4)], int(s), int(e))
           for s, e in [(10, 1), (50, 4), (20, 2), (70, 1)]]
    agg = FedAvg("sample_epochs")
    batch = agg.aggregate(ups)
    for order in itertools.permutations(ups):
        fold = agg.folder()
        for u in order:
            fold.fold(u)
        assert fold.count == 4 and fold.total_weight == 10 + 200 + 40 + 70
        for x, y in zip(fold.result(), batch):
            np.testing.assert_allclose(x, y, rtol=1e-12)


def test_float32_stays_float32():
    ups = [[np.full(5, 1.0, np.float32)], [np.full(5, 4.0, np.float32)]]
    out = weighted_average(ups, [2, 1])
    assert out[0].dtype == np.float32
    np.testing.assert_array_equal(out[0], np.full(5, 2.0, np.float32))


def test_fedprox_averages_like_fedavg_and_adds_the_proximal_term():
    a, b, _ = _updates()
    ups = [Update(a, 1, 1), Update(b, 3, 1)]
    prox = FedProx(mu=0.1)
    assert prox.task_options() == {"prox_mu": 0.1}
    assert FedAvg().task_options() == {}
    for x, y in zip(prox.aggregate(ups), FedAvg().aggregate(ups)):
        np.testing.assert_array_equal(x, y)
    assert make_aggregator("fedprox", mu=0.5).mu == 0.5


@pytest.mark.parametrize("updates, weights", [
    ([], []),
    ([[np.ones(2)]], [0.0]),
    ([[np.ones(2)], [np.ones(2)]], [1.0]),
    ([[np.ones(2)], [np.ones(2)]], [1.0, -1.0]),
    ([[np.ones(2)], [np.ones(2), np.ones(1)]], [1.0, 1.0]),
    ([[np.ones(2)], [np.ones(3)]], [1.0, 1.0]),
])
def test_bad_input_is_refused(updates, weights):
    with pytest.raises(ValueError):
        weighted_average(updates, weights)


def test_unknown_names_are_refused():
    with pytest.raises(ValueError):
        FedAvg("bogus")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        make_aggregator("fedsgd")
    with pytest.raises(ValueError):
        FedAvg().folder().result()


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_blocks_and_dtypes_match_the_plain_sum(dtype):
    """Layers longer than a block, and a dtype BLAS cannot update in place (float16)."""
    from delta.fl.aggregation.base import BLOCK

    rng = np.random.default_rng(1)
    ups = [[rng.integers(-4, 5, BLOCK + 7).astype(dtype), np.full((2, 3), i, dtype)]
           for i in range(3)]
    w = [1, 2, 1]  # quarters and halves of small integers: exact in every dtype
    expect = (ups[0][0].astype(np.float64) + 2 * ups[1][0] + ups[2][0]) / 4
    for out in (weighted_average(ups, w), _fold(ups, w)):
        assert out[0].dtype == dtype and out[1].shape == (2, 3)
        np.testing.assert_array_equal(out[0], expect.astype(dtype))
        np.testing.assert_array_equal(out[1], np.full((2, 3), 1.0, dtype))


def _fold(ups, w):
    fold = FedAvg("samples").folder()
    for u, s in zip(ups, w):
        fold.fold(Update(u, s, 1))
    out = fold.result()
    assert fold.result() is out  # normalised once, in place
    with pytest.raises(ValueError, match="result"):
        fold.fold(Update(ups[0], 1, 1))
    return out


@pytest.mark.parametrize("hold", [1, 2, 3, 7, 10])
def test_eager_fold_any_hold_equals_all_at_once(hold):
    """Folding arrivals a few at a time (flushes at any boundary) is the same average."""
    from delta.fl.aggregation import EagerFold

    rng = np.random.default_rng(hold)
    ups = [[rng.integers(-8, 9, (5, 4)).astype(np.float64), rng.integers(-8, 9, 3)]
           for _ in range(7)]
    w = [1, 2, 3, 1, 4, 2, 3]
    fold = EagerFold(FedAvg("samples"), hold=hold)
    for u, s in zip(ups, w):
        fold.fold(Update(u, s, 1))
    assert fold.count == 7 and fold.total_weight == sum(w)
    for got, want in zip(fold.result(), weighted_average(ups, w)):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    assert fold.result()[1].dtype == np.float64  # integer layers become float64


def test_eager_fold_hold_must_be_positive():
    from delta.fl.aggregation import EagerFold

    with pytest.raises(ValueError, match="hold"):
        EagerFold(FedAvg(), hold=0)


def test_a_carried_update_is_rebased_and_discounted_by_hand():
    """A late update's change applied to the current model, at (1 + 1) ** -a its weight."""
    from delta.fl.aggregation import rebase, staleness_discount

    base, now = [np.array([1.0, 1.0])], [np.array([2.0, 3.0])]
    late = [np.array([5.0, 6.0])]
    # its change from base, [4, 5], applied to now
    np.testing.assert_array_equal(rebase(late, base, now)[0], [6.0, 8.0])
    assert late[0].tolist() == [5.0, 6.0] and now[0].tolist() == [2.0, 3.0]  # untouched
    assert staleness_discount(0, 0.5) == 1.0 and staleness_discount(1, 0.5) == 2 ** -0.5
    assert staleness_discount(3, 1.0) == 0.25 and staleness_discount(1, 0.0) == 1.0

    fresh = Update([np.array([1.0, 2.0])], samples=100, epochs=1)
    carried = Update(rebase(late, base, now), samples=50, epochs=1, staleness=1)
    agg = FedAvg("samples", staleness_exponent=1.0)
    assert agg.update_weight(fresh) == 100 and agg.update_weight(carried) == 25
    # (100 * [1, 2] + 25 * [6, 8]) / 125 = [250, 400] / 125
    for out in (agg.aggregate([fresh, carried]), _fold([fresh.weights, carried.weights],
                                                       [100, 25])):
        np.testing.assert_allclose(out[0], [2.0, 3.2], rtol=1e-15)
    fold = agg.folder()
    fold.fold(fresh)
    fold.fold(carried)
    assert fold.total_weight == 125
    np.testing.assert_allclose(fold.result()[0], [2.0, 3.2], rtol=1e-15)
    # FedAsync's a = 0.5 (the default): 50 / sqrt(2)
    w = 50 * 2 ** -0.5
    np.testing.assert_allclose(FedProx(0.1).aggregate([fresh, carried])[0],
                               (100 * np.array([1.0, 2.0]) + w * np.array([6.0, 8.0]))
                               / (100 + w), rtol=1e-15)
    assert make_aggregator("fedavg", staleness_exponent=2.0).update_weight(carried) == 12.5


def test_rebase_keeps_float32_and_refuses_other_shapes():
    from delta.fl.aggregation import rebase, staleness_discount

    x = [np.full(3, 1.5, np.float32)]
    out = rebase(x, [np.zeros(3, np.float32)], [np.ones(3, np.float32)])
    assert out[0].dtype == np.float32 and out[0].tolist() == [2.5, 2.5, 2.5]
    with pytest.raises(ValueError):
        rebase(x, [np.zeros(4)], [np.zeros(3)])
    with pytest.raises(ValueError):
        rebase(x, [np.zeros(3)], [np.zeros(3), np.zeros(1)])
    with pytest.raises(ValueError):
        staleness_discount(1, -0.5)
    with pytest.raises(ValueError):
        FedAvg(staleness_exponent=-1.0)
