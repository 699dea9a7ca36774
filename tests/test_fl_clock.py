"""The emulator's virtual clock: arithmetic, byte counting and injected failures."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from delta.fl.executors.base import TaskFailure
from delta.fl.executors.emulated import (EmulatedExecutor, array_bytes, measured_compute,
                                         virtual_seconds)


def test_virtual_seconds_by_hand():
    # 2 s of compute on a device 4x slower; 1 MB over 8 Mbit/s = 1 s; 2 x 50 ms latency.
    assert virtual_seconds(2.0, 4.0, 1_000_000, 8.0, 50.0) == pytest.approx(8.0 + 1.0 + 0.1)
    assert virtual_seconds(0.5, 1.0, 0, 100.0, 0.0) == 0.5
    assert virtual_seconds(1.0, 2.0, 125_000, 1.0, 10.0, transfers=1) == pytest.approx(3.01)


def test_array_bytes_and_measured_compute():
    obj = ([np.zeros(10, np.float32), {"w": np.zeros((2, 3))}], {"x": 1, "y": [np.zeros(1)]})
    assert array_bytes(obj) == 40 + 48 + 8
    timings = {"import": 30.0, "load": 0.1, "build": 0.2, "train": 0.7, "total": 31.0}
    assert measured_compute({"timings": timings}, wall_s=99.0) == pytest.approx(1.0)
    assert measured_compute(42, wall_s=0.25) == 0.25


def _task(n: int) -> dict:
    return {"timings": {"load": 0.1, "build": 0.2, "train": 0.7},
            "weights": [np.zeros(n, np.float32)], "samples": 5}


@pytest.fixture
def pool():
    with ThreadPoolExecutor(2) as ex:
        yield ex


def test_emulated_duration(pool):
    em = EmulatedExecutor(pool, speed=3.0, bandwidth_mbps=0.8, latency_ms=25.0)
    weights_in = [np.zeros(25_000, np.float32)]  # 100 kB down
    res = em.submit(lambda w, n: _task(n), weights_in, 50_000).result()  # 200 kB up
    assert res["bytes_moved"] == 300_000
    # 1.0 s x 3 + 300 kB x 8 / 0.8 Mbit/s = 3 s + 3 s, + 2 x 25 ms
    assert res["virtual_seconds"] == pytest.approx(3.0 + 3.0 + 0.05)
    assert res["samples"] == 5


def test_injected_failure_and_preemption(pool):
    dead = EmulatedExecutor(pool, speed=1.0, latency_ms=40.0, fail_rate=1.0)
    with pytest.raises(TaskFailure) as err:
        dead.submit(_task, 10).result()
    assert err.value.outcome == "failed" and err.value.seconds == pytest.approx(0.08)
    pre = EmulatedExecutor(pool, speed=2.0, preempt_rate=1.0)
    with pytest.raises(TaskFailure) as err:
        pre.submit(_task, 10).result()
    assert err.value.outcome == "preempted" and 0 <= err.value.seconds <= 2.0 + 1e-3


def test_failures_follow_the_seed_and_rate(pool):
    def outcomes(seed: int) -> list[bool]:
        em = EmulatedExecutor(pool, fail_rate=0.5, seed=seed, name="pi")
        out = []
        for _ in range(40):
            try:
                em.submit(_task, 1).result()
                out.append(True)
            except TaskFailure:
                out.append(False)
        return out

    a, b = outcomes(7), outcomes(7)
    assert a == b and 8 < sum(a) < 32


def test_task_errors_pass_through(pool):
    def boom():
        raise RuntimeError("no data")

    with pytest.raises(RuntimeError, match="no data"):
        EmulatedExecutor(pool).submit(boom).result()


def test_a_data_move_by_hand(pool):
    """Both latencies plus the bytes over the slower link, once per site and host."""
    import json

    from delta.config import parse_testbed
    from delta.fl.executors.emulated import move_seconds
    from delta.fl.moves import Placement
    from delta.fl.strategies.base import EndpointTask

    pi = EmulatedExecutor(pool, speed=50.0, bandwidth_mbps=10.0, latency_ms=50.0)
    desk = EmulatedExecutor(pool, bandwidth_mbps=500.0, latency_ms=5.0)
    # 1 MB = 8 Mbit over 10 Mbit/s = 0.8 s, + 50 + 5 ms.
    assert move_seconds(1_000_000, pi, desk) == pytest.approx(0.855)
    tb = parse_testbed(json.dumps({"name": "m", "endpoints": [
        {"id": "pi", "data": {"samples": 10, "bytes": 1_000_000, "movable": True},
         "network": {"egress_usd_per_gb": 0.09}},
        {"id": "desk", "data": {"samples": 10}, "price_per_hour": 3.6}]}))
    tasks = [EndpointTask("pi", 10, 1, 5, runs_on="desk"), EndpointTask("desk", 10, 1, 5)]
    placement = Placement()
    first = placement.carry_out(tasks, tb, {"pi": pi, "desk": desk}, 1)
    # egress 1 MB at $0.09/GB + the target's $3.6/h for 0.855 s
    assert first.moves == [{"data_of": "pi", "to": "desk", "bytes": 1_000_000,
                            "seconds": 0.855, "usd": pytest.approx(0.00009 + 0.000855)}]
    assert first.ready_s == {"pi": pytest.approx(0.855)}
    (obs,) = first.observations
    assert (obs.endpoint, obs.task, obs.bytes, obs.seconds) == ("pi", "transfer", 1_000_000,
                                                                pytest.approx(0.855))
    again = placement.carry_out(tasks, tb, {"pi": pi, "desk": desk}, 2)
    assert again.moves == [] and again.ready_s == {} and again.tasks == tuple(tasks)
    assert Placement.from_record({"rounds": [{"moves": first.moves}]}).copies == {("pi", "desk")}
    # A real (non-emulated) executor cannot take a move: the task trains at its site.
    stay = Placement().carry_out(tasks, tb, {"pi": pool, "desk": desk}, 1)
    assert stay.moves == [] and stay.tasks[0].host == "pi" and "data stays" in stay.notes[0]


def test_warm_up_runs_twice_per_worker_and_leaves_failures_to_the_run(pool):
    from delta.fl.executors.emulated import warm_up

    calls = []
    warm_up(pool, 2, lambda x, *, y: calls.append((x, y)), 1, y=2)
    assert calls == [(1, 2)] * 4  # every submitted warm-up ran before it returned

    def broken():
        raise RuntimeError("no such builder")

    warm_up(pool, 1, broken)  # the run's own first task reports it, in one line
