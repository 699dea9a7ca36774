"""Round strategies: uniform, proportional by declared hardware, and delta's learned plan."""

from __future__ import annotations

import json

import pytest

from delta.config import parse_testbed
from delta.errors import ConfigError
from delta.fl.strategies import make_strategy
from delta.observations import Observation
from tests.conftest import endpoint_yaml


def _testbed(**round_over):
    eps = [endpoint_yaml(0), endpoint_yaml(1, hardware={"cores": 4, "clock_ghz": 4.0}),
           endpoint_yaml(2, data={"samples": 100})]
    return parse_testbed(json.dumps({"name": "t", "endpoints": eps,
                                     "round": {"samples": 200, "epochs": 4, **round_over}}))


def _work(plan):
    return sum(t.samples * t.epochs for t in plan.tasks)


def test_uniform_caps_samples_and_keeps_epochs():
    plan = make_strategy("uniform").plan(_testbed(deadline_s=30), [], 1)
    assert [(t.endpoint, t.samples, t.epochs) for t in plan.tasks] == [
        ("ep-0", 200, 4), ("ep-1", 200, 4), ("ep-2", 100, 4)]
    assert plan.deadline_s == 30


def test_proportional_follows_declared_capacity_with_the_same_work():
    tb = _testbed()
    plan = make_strategy("proportional").plan(tb, [], 1)
    epochs = {t.endpoint: t.epochs for t in plan.tasks}
    assert epochs["ep-1"] == 2 * epochs["ep-0"]  # clock 4.0 vs 2.0 GHz, same cores
    assert abs(_work(plan) - _work(make_strategy("uniform").plan(tb, [], 1))) <= 400


def _observations(slow: float, fast: float):
    out = []
    for ep, k in (("ep-0", slow), ("ep-1", fast), ("ep-2", fast)):
        for s, e in ((200, 1), (200, 4), (100, 2)):
            out.append(Observation(endpoint=ep, seconds=0.5 + k * s * e, samples=s, epochs=e,
                                   batch_size=32))
    return out


def test_delta_learns_from_observations_and_sets_a_deadline():
    tb = _testbed()
    strat = make_strategy("delta", margin=0.5)
    cold = strat.plan(tb, [], 1)
    assert cold.deadline_s is None  # nothing measured: no deadline to trust yet
    assert cold.quorum_margin == 0.5  # ... so the round closes by quorum
    plan = strat.plan(tb, _observations(slow=0.01, fast=0.001), 2)
    epochs = {t.endpoint: t.epochs for t in plan.tasks}
    assert epochs["ep-0"] < 4 < epochs["ep-1"]  # the measured-slow endpoint trains less
    assert _work(plan) >= 4 * 500
    p90 = max(t.predicted_p90_s for t in plan.tasks)
    assert plan.deadline_s == pytest.approx(1.5 * p90) and plan.quorum_margin is None


def test_delta_calibration_round_until_every_endpoint_is_measured():
    tb = _testbed(min_epochs=1)
    strat = make_strategy("delta", calibrate=True)
    plan = strat.plan(tb, [], 1)
    assert {t.epochs for t in plan.tasks} == {1} and "calibration" in plan.notes[0]
    assert strat.plan(tb, _observations(0.01, 0.001), 2).notes == ()


def test_unknown_strategy():
    with pytest.raises(ConfigError, match="unknown strategy 'fastest'"):
        make_strategy("fastest")


def test_delta_plans_moved_data_free_only_where_its_copy_sits_and_resumes_that():
    from delta.fl.strategies.tuned import runnable

    eps = [endpoint_yaml(i, executor={"kind": "emulated"},
                         data={"samples": 100, "bytes": 10**6, "movable": True})
           for i in range(3)]
    tb = parse_testbed(json.dumps({"name": "t", "endpoints": eps, "rounds": 5}))
    run = runnable(tb, 3, {("ep-0", "ep-1")}, {"ep-0": "ep-1"})
    data = {e.id: e.data for e in run.endpoints}
    assert (data["ep-0"].copies_at, data["ep-0"].runs_on) == (["ep-1"], "ep-1")
    assert data["ep-0"].bytes == 10**6  # any other host still costs the real bytes
    assert (data["ep-1"].copies_at, data["ep-1"].runs_on) == ([], None)
    assert run.rounds == 3
    # A resumed run knows where its data went and where it trained last.
    strat = make_strategy("delta")
    strat.resume([{"moves": [{"data_of": "ep-0", "to": "ep-1"}, {"data_of": "ep-2",
                                                                 "to": "ep-1"}],
                   "endpoints": [{"endpoint": "ep-0", "runs_on": "ep-1"},
                                 {"endpoint": "ep-2", "runs_on": "ep-2"}]}])
    assert strat.copies == {("ep-0", "ep-1"), ("ep-2", "ep-1")}
    assert strat.runs_on == {"ep-0": "ep-1"}


def test_a_busy_device_gets_the_epochs_that_fit_after_its_wait_by_hand():
    from delta.fl.strategies.base import EndpointTask
    from delta.fl.strategies.tuned import fit_busy

    tasks = (EndpointTask("desk", 100, 10, 32, 4.0), EndpointTask("pi", 100, 10, 32, 4.0),
             EndpointTask("pi2", 100, 5, 32, 4.0, runs_on="pi3"))
    # The idle desk's 4 s is the makespan.  pi waits 1.5 s: 0.4 s per epoch, 2.5 s left
    # -> 6 epochs; pi3 (pi2's host) waits 3.5 s: 0.8 s per epoch, 0.5 s left -> none.
    out, notes = fit_busy(tasks, {"pi": 1.5, "pi3": 3.5}, min_epochs=1, min_participants=2)
    assert [(t.endpoint, t.epochs) for t in out] == [("desk", 10), ("pi", 6)]
    assert out[1].predicted_p90_s == pytest.approx(1.5 + 0.4 * 6)
    assert "6 epoch(s) instead of 10" in notes[0] and "sits the round out" in notes[1]
    # Too few would be left: the busy device trains min_epochs after its wait.
    out, notes = fit_busy(tasks, {"pi": 1.5, "pi3": 3.5}, min_epochs=1, min_participants=3)
    assert [(t.endpoint, t.epochs) for t in out] == [("desk", 10), ("pi", 6), ("pi2", 1)]
    assert out[2].predicted_p90_s == pytest.approx(3.5 + 0.8) and len(notes) == 1
    # Nobody busy, or nobody idle to set the makespan: the plan stands.
    assert fit_busy(tasks, {}, 1, 1) == (tasks, ())
    assert fit_busy(tasks[1:], {"pi": 1.0, "pi3": 1.0}, 1, 1) == (tasks[1:], ())


def test_delta_plans_a_busy_device_less_work():
    tb, obs = _testbed(), _observations(slow=0.01, fast=0.001)
    strat = make_strategy("delta")
    free = {t.endpoint: t for t in strat.plan(tb, obs, 2).tasks}
    wait = free["ep-1"].predicted_p90_s / 2
    strat.busy({"ep-1": wait})
    plan = strat.plan(tb, obs, 2)
    busy = {t.endpoint: t for t in plan.tasks}
    assert busy["ep-1"].epochs < free["ep-1"].epochs and busy["ep-0"] == free["ep-0"]
    assert any("ep-1 busy" in n for n in plan.notes)
    uniform = make_strategy("uniform")
    uniform.busy({"ep-1": wait})  # the base hook does nothing
    assert uniform.plan(tb, obs, 2) == make_strategy("uniform").plan(tb, obs, 2)
