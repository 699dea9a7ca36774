"""Profiles across endpoints: hardware prior, hand-over to data, experiment design."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from delta.observations import Observation
from profiler import HardwareSpec, fit_profiles, suggest
from profiler.design import CHEAP_RUNS, EXPLORE_NOISE, _design_noise, design
from profiler.profiles import observation_matrix

# A fleet whose speed follows its hardware: time ~ 1 / (clock * sqrt(cores)), arm 1.5x slower.
FLEET = {
    "desk": HardwareSpec(cores=8, clock_ghz=3.6, memory_gb=16),
    "laptop": HardwareSpec(cores=4, clock_ghz=2.4, memory_gb=8),
    "pi4": HardwareSpec(cores=4, clock_ghz=1.5, memory_gb=4, arch="arm64"),
    "pi3": HardwareSpec(cores=4, clock_ghz=1.2, memory_gb=1, arch="arm64"),
    "server": HardwareSpec(cores=32, clock_ghz=2.8, memory_gb=128),
}
CONFIGS = [(100, 1), (500, 2), (250, 5), (1000, 1), (400, 8), (800, 4), (150, 10), (600, 6)]


def speed(hw: HardwareSpec) -> float:
    return (1.5 if hw.arch == "arm64" else 1.0) / (hw.clock_ghz * hw.cores**0.5)


def law(ep: str, samples: int, epochs: int) -> float:
    s = speed(FLEET[ep])
    return 0.3 + 8 * s * (0.002 * epochs * np.ceil(samples / 32) + 5e-5 * samples * epochs)


def runs(ep: str, configs=CONFIGS, noise: float = 0.03, seed: int = 0) -> list[Observation]:
    rng = np.random.default_rng(seed)
    return [Observation(endpoint=ep, seconds=law(ep, s, e) * rng.lognormal(0, noise),
                        samples=s, epochs=e, batch_size=32) for s, e in configs]


def fleet_runs(exclude: str) -> list[Observation]:
    return [o for i, ep in enumerate(FLEET) if ep != exclude for o in runs(ep, seed=i)]


def test_single_endpoint_recovers_its_law():
    prof = fit_profiles(runs("desk", noise=0.0), {"desk": FLEET["desk"]})["desk"]
    assert prof.source == "observations" and prof.n_observations == len(CONFIGS)
    assert prof.predict(700, 3, 32).p50 == pytest.approx(law("desk", 700, 3), rel=0.02)
    once, per_epoch = prof.epoch_cost(700, 32)
    assert once + 3 * per_epoch == pytest.approx(prof.predict(700, 3, 32).p50, rel=1e-9)


def test_a_cost_every_epoch_pays_is_learned_and_counted_per_epoch():
    # Keras pays ~0.05 s per epoch whatever its samples (callbacks, a fresh iterator).
    configs = [(s, e) for s in (100, 400, 1600) for e in (1, 3, 10)]
    obs = [Observation(endpoint="desk", samples=s, epochs=e, batch_size=32,
                       seconds=law("desk", s, e) + 0.05 * e) for s, e in configs]
    prof = fit_profiles(obs, {"desk": FLEET["desk"]})["desk"]
    terms = dict(zip(prof.model.terms, prof.model.coef_))
    assert terms["per_epoch_s"] == pytest.approx(0.05, rel=0.05)
    once, per_epoch = prof.epoch_cost(100, 32)
    assert once == pytest.approx(0.3, rel=0.05)
    assert per_epoch == pytest.approx(law("desk", 100, 1) - 0.3 + 0.05, rel=0.05)


def test_cold_start_ranks_an_unseen_endpoint_from_its_hardware():
    for held_out in ("pi3", "laptop", "server"):
        profs = fit_profiles(fleet_runs(held_out), FLEET)
        assert profs[held_out].source == "hardware prior"
        assert profs[held_out].n_observations == 0
        p50 = {ep: p.predict(500, 4, 32).p50 for ep, p in profs.items()}
        truth = {ep: law(ep, 500, 4) for ep in FLEET}
        assert sorted(p50, key=p50.get) == sorted(truth, key=truth.get), held_out
        q = profs[held_out].predict(500, 4, 32)
        assert q.p10 < truth[held_out] < q.p90


def test_nothing_observed_anywhere_still_ranks_by_declared_capacity():
    profs = fit_profiles([], FLEET)
    assert all(p.source == "hardware prior" for p in profs.values())
    assert profs["server"].predict(500, 4, 32).p50 < profs["pi3"].predict(500, 4, 32).p50
    q = profs["pi3"].predict(500, 4, 32)
    assert q.p90 / q.p10 > 3  # uncalibrated: honestly wide


def test_own_runs_take_over_from_the_prior_without_a_cliff():
    fleet = fleet_runs("pi4")
    own = runs("pi4", configs=[(300, 3), (900, 1), (120, 8), (700, 5), (450, 2), (1000, 6),
                               (200, 1), (800, 8)], seed=9)
    truth = law("pi4", 600, 6)
    preds, errs = [], []
    for n in range(len(own) + 1):
        prof = fit_profiles(fleet + own[:n], FLEET)["pi4"]
        assert prof.source == ("observations" if n else "hardware prior")
        preds.append(prof.predict(600, 6, 32))
        errs.append(abs(preds[-1].p50 - truth) / truth)
    for before, after in itertools.pairwise(preds):
        # No cliff: each new run moves the median within the previous 80% interval.
        assert before.p10 <= after.p50 <= before.p90
    assert errs[-1] < 0.05 and errs[-1] < errs[0]
    widths = [(q.p90 - q.p10) / q.p50 for q in preds]
    assert widths[-1] < widths[0]


def test_own_runs_teach_a_fixed_cost_the_other_endpoints_do_not_show():
    # Beside an endpoint whose larger model builds for free (its fit finds ~0.05 s per
    # million parameters, noise), a new one pays 2 s per million: its runs must say so.
    def law(samples, epochs, batch, mparams, build_s):
        return (0.15 + build_s * mparams + 0.045 * epochs
                + 1e-3 * epochs * np.ceil(samples / batch) + 2e-6 * samples * epochs)

    def runs(ep: str, build_s: float, n: int, seed: int) -> list[Observation]:
        rng = np.random.default_rng(seed)
        out = []
        for _ in range(n):
            s, e = int(rng.choice([100, 250, 600, 1400])), int(rng.choice([1, 2, 5, 10]))
            b, mp = int(rng.choice([16, 32, 128])), int(rng.choice([2410, 85002]))
            out.append(Observation(endpoint=ep, samples=s, epochs=e, batch_size=b,
                                   model_params=mp, seconds=law(s, e, b, mp / 1e6, build_s)
                                   * rng.lognormal(0, 0.05)))
        return out

    hw = {"free": HardwareSpec(cores=2, clock_ghz=2.0), "new": HardwareSpec(cores=1, clock_ghz=2.0)}
    prof = fit_profiles(runs("free", 0.0, 60, seed=1) + runs("new", 2.0, 12, seed=2), hw)["new"]
    build = dict(zip(prof.model.terms, prof.model.coef_))["per_mparam_s"]
    assert build == pytest.approx(2.0, rel=0.25)  # 0.18 when the pool's doubt held it
    grid = [(s, e, b) for s in (100, 600, 1400) for e in (1, 5) for b in (16, 128)]
    truth = np.array([law(s, e, b, 0.085002, 2.0) for s, e, b in grid])
    p50 = np.array([prof.predict(s, e, b, model_params=85002).p50 for s, e, b in grid])
    assert np.median(np.abs(p50 / truth - 1)) < 0.08  # 19% when it could not


def test_a_preempted_run_does_not_wreck_a_profile():
    own = runs("laptop")
    hw = {"laptop": FLEET["laptop"]}
    clean = fit_profiles(own, hw)["laptop"].predict(700, 3, 32).p50
    own[2] = Observation(endpoint="laptop", seconds=own[2].seconds * 10, samples=own[2].samples,
                         epochs=own[2].epochs, batch_size=32)
    hit = fit_profiles(own, hw)["laptop"].predict(700, 3, 32).p50
    assert hit == pytest.approx(clean, rel=0.05)
    assert clean == pytest.approx(law("laptop", 700, 3), rel=0.15)


def test_failed_runs_and_other_tasks_are_ignored():
    own = runs("desk") + [Observation(endpoint="desk", seconds=999.0, samples=500, epochs=2,
                                      batch_size=32, ok=False),
                          Observation(endpoint="desk", seconds=5.0, task="transfer", bytes=10**6)]
    prof = fit_profiles(own, {"desk": FLEET["desk"]})["desk"]
    assert prof.n_observations == len(CONFIGS)


def grid_candidates(ep: str) -> list[tuple[str, np.ndarray]]:
    return [(ep, np.array([s, e, b, 0, 0, 0], dtype=float))
            for s in (50, 200, 800, 1600) for e in (1, 3, 10) for b in (16, 64)]


def test_suggest_spreads_over_the_queried_region():
    profs = fit_profiles(fleet_runs("pi3"), FLEET)
    cands = grid_candidates("pi3")
    picks = suggest(profs, cands, 10)
    assert len(set(picks)) == 10  # not ten copies of one point
    rows = np.array([cands[i][1] for i in picks])
    work = rows[:, 0] * rows[:, 1]
    all_work = np.array([c[1][0] * c[1][1] for c in cands])
    # The picks span the region: both ends of the work range and both batch sizes.
    assert work.min() <= np.quantile(all_work, 0.25) and work.max() >= np.quantile(all_work, 0.75)
    assert set(rows[:, 2]) == {16.0, 64.0}


def test_suggest_prefers_cheap_runs_at_equal_information():
    profs = fit_profiles(fleet_runs("pi3"), FLEET)
    # Two copies of the grid, one with ten times the epochs: per unit of work the same
    # information about the law's shape, ten times the cost.
    cheap = grid_candidates("pi3")
    dear = [(ep, r * np.array([1, 10, 1, 1, 1, 1])) for ep, r in cheap]
    first = suggest(profs, cheap + dear, 1, queries=cheap)[0]
    assert first < len(cheap)


def test_only_an_endpoints_first_runs_trade_information_for_a_shorter_run():
    # A one-term law: every run tells the same about it, a longer one through less
    # jitter, so the 1.2 s run teaches a little (~5%) more than the 1.0 s ones.
    C = np.array([[1.0], [1.2], [1.0]])

    def picks(runs: int, k: int = 1, learned: bool = True) -> list[int]:
        return design(C, C, np.array([1.0]), np.array([[0.05]]), 0.1, k, jitter=0.1,
                      runs=np.full(len(C), runs), learned_shape=np.full(len(C), learned))

    assert picks(0) == picks(CHEAP_RUNS - 1) == [0]
    assert picks(CHEAP_RUNS) == [1]
    # Picks count as runs: the one that completes the cheap runs is short, the next not.
    assert picks(CHEAP_RUNS - 1, k=2) == [0, 1]
    # With the reference law's shape (no other endpoint observed) no run is cheap.
    assert picks(0, learned=False) == [1]


def test_a_shape_is_learned_once_another_endpoint_has_runs():
    hw = {ep: FLEET[ep] for ep in ("desk", "laptop", "pi3")}
    nothing = fit_profiles([], hw)
    assert not any(p.learned_shape for p in nothing.values())
    # The only observed endpoint has the reference law's shape; the others learn desk's.
    alone = fit_profiles(runs("desk"), hw)
    assert [alone[ep].learned_shape for ep in hw] == [False, True, True]
    both = fit_profiles(runs("desk") + runs("laptop", seed=1), hw)
    assert all(p.learned_shape for p in both.values())


def test_design_weighs_run_noise_against_the_reference_shape_as_the_fit_does():
    # Exploring the reference law's shape, design widens the run noise (the fit keeps the
    # narrower shape doubt); a learned shape is not explored, and an endpoint with as many
    # runs as terms does not explore at all.
    hw = {ep: FLEET[ep] for ep in ("desk", "laptop")}
    few = fit_profiles(runs("desk", CONFIGS[:1]), hw)
    desk, laptop = few["desk"], few["laptop"]
    assert desk.explore is not None and not desk.learned_shape
    assert _design_noise(desk) == EXPLORE_NOISE * desk.model.sigma_
    assert laptop.explore is None and laptop.learned_shape
    assert _design_noise(laptop) == laptop.model.sigma_
    many = fit_profiles(runs("desk"), hw)["desk"]
    assert many.explore is None and _design_noise(many) == many.model.sigma_


def test_suggest_shares_one_budget_across_endpoints():
    profs = fit_profiles(fleet_runs("pi3"), FLEET)
    cands = grid_candidates("pi3") + grid_candidates("desk")
    picks = suggest(profs, cands, 4)
    # The unobserved endpoint is where the uncertainty is.
    assert all(cands[i][0] == "pi3" for i in picks[:2])


def test_only_the_reference_shape_is_explored_and_only_the_plan_changes(monkeypatch,
                                                                         two_shapes):
    """An endpoint alone explores the reference law's shape until it has as many runs as
    its law has terms (``Profile.explore``): that changes its calibration plan, not its
    predictions.  Beside a fleet whose shape differs, a new endpoint is planned with the
    predictions' own doubt (exploring cost the bench: ``EXPLORE_DOUBT``)."""
    import profiler.profiles

    grid, hw = two_shapes()
    mine = [o for o in grid if o.endpoint == "flat"]
    rows, _ = observation_matrix(mine)

    def plan(runs: int, fleet: bool = False) -> tuple[list[int], np.ndarray, object]:
        others = [o for o in grid if o.endpoint == "steep"] if fleet else []
        profs = fit_profiles(others + mine[:runs], hw if fleet else {"flat": hw["flat"]},
                             variables=("work", "batch", "model_size"))
        prof = profs["flat"]
        return suggest(profs, [("flat", r) for r in rows], 3), prof.quantiles(rows), prof

    picks, q_wide, prof = plan(1)
    terms = len(prof.model.coef_)
    assert prof.explore is not None and not prof.learned_shape
    assert plan(terms - 1)[2].explore is not None
    assert plan(terms)[2].explore is None
    beside = plan(0, fleet=True)[2]
    assert beside.learned_shape and beside.explore is None
    monkeypatch.setattr(profiler.profiles, "EXPLORE_DOUBT", 1.0)  # the predictions' doubt
    narrow, q_narrow, _ = plan(1)
    assert narrow != picks
    np.testing.assert_array_equal(q_wide, q_narrow)
