"""Partitioning the digits training split across endpoints."""

from __future__ import annotations

import numpy as np
import pytest

from delta.fl.partition import partition_dirichlet, partition_iid


def test_iid_sizes_disjoint_and_seeded():
    parts = partition_iid(100, [30, 20, 50], seed=1)
    assert [len(p) for p in parts] == [30, 20, 50]
    assert len(np.unique(np.concatenate(parts))) == 100
    again = partition_iid(100, [30, 20, 50], seed=1)
    assert all(np.array_equal(x, y) for x, y in zip(parts, again))
    other = partition_iid(100, [30, 20, 50], seed=2)
    assert not np.array_equal(parts[0], other[0])


def test_iid_wraps_when_oversubscribed():
    parts = partition_iid(10, [8, 8], seed=0)
    assert all(len(np.unique(p)) == 8 for p in parts)


def test_dirichlet_is_skewed_and_disjoint():
    labels = np.repeat(np.arange(10), 100)
    parts = partition_dirichlet(labels, [100] * 8, alpha=0.1, seed=0)
    assert [len(p) for p in parts] == [100] * 8
    assert len(np.unique(np.concatenate(parts))) == 800
    top = [np.bincount(labels[p], minlength=10).max() / len(p) for p in parts]
    assert np.mean(top) > 0.5  # few dominant classes per endpoint
    iid_like = partition_dirichlet(labels, [100] * 8, alpha=1000.0, seed=0)
    assert np.mean([np.bincount(labels[p], minlength=10).max() / 100 for p in iid_like]) < 0.25
    with pytest.raises(ValueError):
        partition_dirichlet(labels, [10], alpha=0.0, seed=0)
