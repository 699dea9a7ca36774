"""ProfileStack: every profile answered at once, equal to asking each one."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from delta.observations import Observation
from profiler.base import Quantiles
from profiler.hardware import HardwareSpec
from profiler.profiles import fit_profiles
from profiler.stack import ProfileStack


class Linear:
    """A profile that is not a fitted composite: the stack must ask it one by one."""

    endpoint, source, n_observations = "linear", "observations", 3

    def predict(self, samples: int, epochs: int, batch_size: int) -> Quantiles:
        p50 = 0.5 + 1e-3 * samples * epochs
        return Quantiles(p50 * 0.8, p50, p50 * 1.3)

    def epoch_cost(self, samples: int, batch_size: int) -> tuple[float, float]:
        return 0.5, 1e-3 * samples


def random_fleet(seed: int) -> dict:
    """Observed and unobserved endpoints; some fleets vary threads, model size, bytes."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 12))
    hw = {f"e{i}": HardwareSpec(cores=int(rng.choice([1, 4, 8])),
                                clock_ghz=float(rng.choice([1.2, 2.4])))
          for i in range(n)}  # repeated hardware: unobserved endpoints share a model
    vary = rng.random(3) < 0.5
    obs = []
    for i in range(n):
        if rng.random() < 0.4:
            continue
        speed = 10 ** rng.uniform(-5, -3)
        for _ in range(int(rng.integers(1, 7))):
            s, e, b = int(rng.integers(50, 2000)), int(rng.integers(1, 10)), 32
            t, mp, nb = (int(rng.choice([1, 2, 4])) if vary[0] else 1,
                         int(rng.choice([10_000, 400_000])) if vary[1] else 50_000,
                         int(rng.integers(0, 10**7)) if vary[2] else 0)
            obs.append(Observation(
                endpoint=f"e{i}", samples=s, epochs=e, batch_size=b,
                threads=t, model_params=mp, bytes=nb,
                seconds=(0.3 + speed * s * e * (1 + mp / 1e6) / t**0.5)
                * rng.lognormal(0, 0.05)))
    return fit_profiles(obs, hw)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**6))
def test_batched_equals_asking_each_profile(seed):
    profiles = [*random_fleet(seed).values(), Linear()]
    stack = ProfileStack(profiles)
    rng = np.random.default_rng(seed + 1)
    which = rng.integers(0, len(profiles), 40)  # repeats, in any order
    samples, epochs = rng.integers(1, 5000, 40), rng.integers(0, 30, 40)
    once, per_epoch = stack.epoch_cost(samples, 32, which)
    q = stack.quantiles(samples, epochs, 32, which)
    for i, (w, s, e) in enumerate(zip(which.tolist(), samples.tolist(), epochs.tolist())):
        want = profiles[w].epoch_cost(s, 32)
        np.testing.assert_allclose((once[i], per_epoch[i]), want, rtol=1e-9, atol=1e-12)
        p = profiles[w].predict(s, e, 32)
        np.testing.assert_allclose(q[i], (p.p10, p.p50, p.p90), rtol=1e-9, atol=1e-12)


def test_default_query_is_one_per_profile_and_scalars_broadcast():
    profiles = list(fit_profiles([], {"a": HardwareSpec(), "b": HardwareSpec(cores=16)})
                    .values())
    stack = ProfileStack(profiles)
    q = stack.quantiles(1000, 10, 32)
    assert q.shape == (2, 3) and q[1, 1] < q[0, 1]  # 16 cores are faster than one
    assert q[0, 1] == pytest.approx(profiles[0].predict(1000, 10, 32).p50, rel=1e-12)
    assert stack.quantiles(1, 1, 32, which=np.array([], dtype=int)).shape == (0, 3)
