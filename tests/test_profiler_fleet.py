"""The fleet summary behind fit_profiles: leave-one-out moments and batched cold priors.

``tests/data/fit_profiles_reference.json`` holds predictions captured on small fleets:
first from the quadratic implementation the linear one replaced (a refit of the others
per endpoint), re-captured when the model itself changed (overhead as a line in the
speed, the first-principles reference law, leave-one-out calibrated noise, a floor on
every fixed cost's prior spread, the fleet's shapes from fits where first principles fill
in what the runs leave open); any other change to the fast path must keep reproducing
them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from delta.observations import Observation
from profiler import HardwareSpec, fit_profiles
from profiler.fleet import Fleet
from profiler.law import fit_law, prior_posteriors
from profiler.prior import HardwarePrior, hardware_features

REFERENCE = json.loads((Path(__file__).parent / "data" / "fit_profiles_reference.json")
                       .read_text())
HW = {
    "desk": HardwareSpec(cores=8, clock_ghz=3.6, memory_gb=16),
    "laptop": HardwareSpec(cores=4, clock_ghz=2.4, memory_gb=8),
    "pi4": HardwareSpec(cores=4, clock_ghz=1.5, memory_gb=4, arch="arm64"),
    "pi3": HardwareSpec(cores=4, clock_ghz=1.2, memory_gb=1, arch="arm64"),
    "server": HardwareSpec(cores=32, clock_ghz=2.8, memory_gb=128, accelerator="a100"),
    "one": HardwareSpec(cores=2, clock_ghz=2.0, memory_gb=2),
    "cold1": HardwareSpec(cores=16, clock_ghz=3.0, memory_gb=64),
    "cold2": HardwareSpec(cores=1, clock_ghz=0.9, memory_gb=0.5, arch="aarch64"),
    "twin1": HardwareSpec(cores=6, clock_ghz=2.2),
    "twin2": HardwareSpec(cores=6, clock_ghz=2.2),
}
QUERIES = [(100, 1, 32), (700, 3, 32), (5000, 20, 128)]


def fleet_runs(seed: int, batch: bool = False, msize: bool = False) -> list[Observation]:
    """Six endpoints' runs (one with a single run, one with a preempted run)."""
    rng = np.random.default_rng(seed)
    out = []
    for ep in ["desk", "laptop", "pi4", "pi3", "server", "one"]:
        hw = HW[ep]
        sp = (1.5 if hw.arch == "arm64" else 1.0) / (hw.clock_ghz * hw.cores**0.5)
        for j in range(1 if ep == "one" else 6):
            s, e = int(rng.integers(100, 2000)), int(rng.integers(1, 10))
            b = int(rng.choice([16, 32, 64])) if batch else 32
            mp = int(rng.choice([10**4, 10**5, 10**6])) if msize else 0
            t = (0.3 + mp * 1e-7 + 8 * sp * (0.002 * e * np.ceil(s / b) + 5e-5 * s * e)
                 * (1 + mp * 1e-6)) * rng.lognormal(0, 0.05)
            if ep == "pi3" and j == 2:
                t *= 8  # a preempted run
            out.append(Observation(endpoint=ep, seconds=float(t), samples=s, epochs=e,
                                   batch_size=b, model_params=mp, threads=hw.cores))
    return out


SCENARIOS = {
    "fleet": lambda: (fleet_runs(0), HW),
    "fleet_batch": lambda: (fleet_runs(1, batch=True), HW),
    "fleet_msize": lambda: (fleet_runs(2, batch=True, msize=True), HW),
    "single": lambda: ([o for o in fleet_runs(3) if o.endpoint == "desk"],
                       {k: HW[k] for k in ("desk", "cold1", "cold2")}),
    "none": lambda: ([], {k: HW[k] for k in ("desk", "cold1", "twin1", "twin2")}),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_fit_profiles_reproduces_the_per_endpoint_refit(name):
    observations, hardware = SCENARIOS[name]()
    profiles = fit_profiles(observations, hardware)
    assert list(profiles) == list(hardware)
    for ep, ref in REFERENCE[name].items():
        p = profiles[ep]
        assert (p.source, p.n_observations) == (ref["source"], ref["n"])
        got = []
        for s, e, b in QUERIES:
            q = p.predict(s, e, b)
            got += [q.p10, q.p50, q.p90, *p.epoch_cost(s, b)]
        got, want = np.array(got).reshape(-1, 5), np.array(ref["values"]).reshape(-1, 5)
        # Medians and the epoch split to 1e-9.  The p10/p90 bands pass the prior through
        # two pseudo-inverses of a covariance spanning many orders of magnitude: a 1e-15
        # change of the fleet's mean shape already moves them by ~3e-9, so they get 1e-6;
        # so does the noise (sigma), which another CPU's BLAS moves by ~1.5e-7.
        np.testing.assert_allclose(got[:, [1, 3, 4]], want[:, [1, 3, 4]], rtol=1e-9)
        np.testing.assert_allclose(got[:, [0, 2]], want[:, [0, 2]], rtol=1e-6)
        np.testing.assert_allclose(p.model.coef_, ref["coef"], rtol=1e-9, atol=1e-15)
        assert p.model.sigma_ == pytest.approx(ref["sigma"], rel=1e-6)


def test_leaving_one_out_equals_summarising_the_others():
    rng = np.random.default_rng(4)
    m, d = 7, 4
    coefs = rng.lognormal(0, 1, (m, d)) * (rng.random((m, d)) > 0.2)
    scales = rng.normal(0, 1, m)
    feats = hardware_features([HardwareSpec(cores=int(c), clock_ghz=float(g))
                               for c, g in zip(rng.integers(1, 32, m), rng.uniform(1, 4, m))])
    sigmas = rng.uniform(0.02, 0.3, m)
    scaled = np.array([False, True, True, False])
    fleet = Fleet(coefs, scales, feats, sigmas, scaled)
    for i in range(m):
        keep = np.arange(m) != i
        loo = fleet.view(i)
        direct = Fleet(coefs[keep], scales[keep], feats[keep], sigmas[keep], scaled).view()
        hp = HardwarePrior().fit(feats[keep], scales[keep])
        assert loo.m == direct.m == m - 1
        np.testing.assert_allclose(loo.shape, direct.shape, rtol=1e-12)
        np.testing.assert_allclose(loo.shape_var, direct.shape_var, rtol=1e-10)
        np.testing.assert_allclose(loo.offset, direct.offset, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(loo.offset_var, direct.offset_var, rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(loo.hw_coef, hp.coef_, rtol=1e-10)
        assert loo.hw_intercept == pytest.approx(hp.intercept_, rel=1e-10)
        assert loo.spread == pytest.approx(hp.spread_, rel=1e-10)
        assert loo.noise == float(np.median(sigmas[keep]))
        assert loo.log_scale(feats[i])[0] == pytest.approx(hp.predict(feats[i:i + 1])[0])


def test_batched_priors_match_a_fit_without_runs():
    rng = np.random.default_rng(5)
    A = rng.normal(size=(3, 4, 4))
    covs = A @ np.swapaxes(A, 1, 2) + 0.1 * np.eye(4)
    means = np.abs(rng.normal(size=(3, 4)))
    means[2, 1] = -0.5  # a negative prior mean: the non-negative fit must decide
    coefs, posts, exact = prior_posteriors(means, covs)
    assert exact.tolist() == [True, True, False]
    for k in range(2):
        coef, cov, *_ = fit_law(np.zeros((0, 4)), np.zeros(0), means[k], covs[k])
        np.testing.assert_allclose(coefs[k], coef, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(posts[k], cov, rtol=1e-9, atol=1e-12)
