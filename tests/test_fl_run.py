"""End to end: real Keras on digits through the real local Globus Compute engine."""

from __future__ import annotations

import json
import math
import operator
import os

import pytest

from delta.config import parse_testbed
from delta.fl.executors.base import TaskFailure
from delta.fl.executors.emulated import EmulatedExecutor
from delta.store import Store
from tests.conftest import run_delta

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    """One warm engine for the module (TensorFlow imports once per worker)."""
    from delta.fl.executors.engine import EngineExecutor

    old = os.environ.get("HOME")
    os.environ["HOME"] = str(tmp_path_factory.mktemp("home"))  # the SDK writes under HOME
    ex = EngineExecutor(workers=2, warm=True)
    yield ex
    ex.shutdown()
    if old is not None:
        os.environ["HOME"] = old


@pytest.fixture(params=["engine", "emulated"])
def adapter(request, engine):
    """Every endpoint adapter that runs offline, through the same contract."""
    return engine if request.param == "engine" else EmulatedExecutor(engine, speed=2.0)


def test_adapter_contract(adapter):
    assert adapter.submit(operator.pow, 2, 5).result(timeout=120) == 32
    assert adapter.submit(sorted, [3, 1, 2], reverse=True).result(timeout=120) == [3, 2, 1]
    with pytest.raises(TaskFailure, match="ValueError: math domain error") as err:
        adapter.submit(math.sqrt, -1).result(timeout=120)
    assert "\n" not in err.value.message
    futures = [adapter.submit(operator.add, i, 1) for i in range(20)]
    assert [f.result(timeout=120) for f in futures] == list(range(1, 21))


def _testbed(**round_over):
    eps = [
        {"id": "ok", "executor": {"kind": "emulated", "speed": 1.0, "latency_ms": 5},
         "data": {"samples": 80}},
        {"id": "down", "executor": {"kind": "emulated", "fail_rate": 1.0, "latency_ms": 50},
         "data": {"samples": 80}},
        {"id": "slow", "executor": {"kind": "emulated", "speed": 1000.0},
         "data": {"samples": 80}},
    ]
    return parse_testbed(json.dumps({
        "name": "e2e", "endpoints": eps, "objective": {"min_participants": 1},
        "round": {"samples": 60, "epochs": 2, "batch_size": 16, "deadline_s": 30, **round_over},
    }))


def test_failure_and_late_endpoint_still_complete_the_round_and_resume(engine, tmp_path):
    from delta.fl.api import run_testbed

    tb, db, ckpt = _testbed(), tmp_path / "obs.sqlite3", tmp_path / "ckpt"
    events = []
    res = run_testbed(tb, rounds=2, strategy="uniform", seed=3, db=db, checkpoint_dir=ckpt,
                      engine=engine, on_event=lambda k, p: events.append(k))
    rec = res.record
    assert rec["clock"] == "virtual" and len(rec["rounds"]) == 2
    for i, r in enumerate(rec["rounds"], 1):
        outcome = {e["endpoint"]: e["outcome"] for e in r["endpoints"]}
        assert outcome == {"ok": "ok", "down": "failed", "slow": "late"}
        assert r["complete"] and r["participants"] == 1
        assert r["round_s"] == 30  # waited for the late endpoint until the deadline
        assert r["elapsed_s"] == 30 * i
        assert 0.0 <= r["accuracy"] <= 1.0
        by_ep = {e["endpoint"]: e for e in r["endpoints"]}
        assert by_ep["ok"]["samples"] == 60 and by_ep["ok"]["epochs"] == 2
        assert by_ep["down"]["seconds"] == pytest.approx(0.1)
        assert by_ep["slow"]["seconds"] > 30
    assert events.count("task") == 6 and events.count("round_done") == 2
    with Store(db) as store:
        obs = store.observations()
    assert len(obs) == 6
    assert {(o.endpoint, o.ok) for o in obs} == {("ok", True), ("down", False), ("slow", True)}
    assert all(o.samples == 60 and o.epochs == 2 and o.model_params > 0
               for o in obs if o.endpoint != "down")

    again = run_testbed(tb, rounds=3, strategy="uniform", seed=3, db=db, checkpoint_dir=ckpt,
                        engine=engine, resume=True).record
    assert again["rounds"][:2] == rec["rounds"] and again["rounds"][2]["round"] == 3
    assert again["elapsed_s"] == 90
    with Store(db) as store:
        assert store.count() == 9  # only round 3 ran

    # The closed loop: delta plans from what the store measured; the slow endpoint's
    # work is cut to fit the deadline (or it sits the round out).
    tuned = run_testbed(tb, rounds=1, strategy="delta", seed=3, db=db,
                        checkpoint_dir=tmp_path / "ckpt-delta", engine=engine).record
    slow = [e for e in tuned["rounds"][0]["endpoints"] if e["endpoint"] == "slow"]
    assert not slow or slow[0]["samples"] * slow[0]["epochs"] < 120


def test_delta_run_json_on_local_endpoints(tmp_path):
    eps = [{"id": f"local-{i}", "executor": {"kind": "local"}, "data": {"samples": 50}}
           for i in range(2)]
    tb = tmp_path / "tb.json"
    tb.write_text(json.dumps({"name": "local", "endpoints": eps,
                              "round": {"samples": 50, "epochs": 1, "batch_size": 25}}))
    out = tmp_path / "run.json"
    r = run_delta("run", str(tb), "--rounds", "1", "--strategy", "proportional", "--seed", "1",
                  "--format", "json", "--out", str(out), "--workers", "1",
                  env={"HOME": str(tmp_path), "DELTA_DB": str(tmp_path / "d.sqlite3")})
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)
    assert rec == json.loads(out.read_text())
    assert rec["clock"] == "wall" and rec["strategy"] == "proportional"
    (rnd,) = rec["rounds"]
    assert rnd["round"] == 1 and rnd["elapsed_s"] > 0 and 0 <= rnd["accuracy"] <= 1
    assert rnd["carried"] == []  # nothing late the round before
    assert [(e["endpoint"], e["samples"], e["epochs"], e["outcome"]) for e in rnd["endpoints"]] \
        == [("local-0", 50, 1, "ok"), ("local-1", 50, 1, "ok")]
    assert all(e["seconds"] > 0 for e in rnd["endpoints"])


def test_federated_learning_one_liner(engine, tmp_path):
    import delta

    eps = [{"id": f"dev-{i}", "executor": {"kind": "emulated", "speed": 1.0 + 3 * i},
            "data": {"samples": 60}} for i in range(2)]
    res = delta.federated_learning("delta.fl.models:digits_mlp", eps, rounds=2, epochs=2,
                                   samples=60, batch_size=20, seed=5, engine=engine,
                                   db=tmp_path / "d.sqlite3", checkpoint_dir=tmp_path / "c")
    rec = res.record
    assert rec["strategy"] == "delta" and [r["round"] for r in rec["rounds"]] == [1, 2]
    assert all(r["complete"] for r in rec["rounds"])
    assert [w.shape for w in res.weights] == [(64, 64), (64,), (64, 10), (10,)]
    from delta.errors import ConfigError

    with pytest.raises(ConfigError, match="round.epochs: Input should be greater than"):
        delta.federated_learning(None, eps, rounds=1, epochs=0)


def test_delta_run_moves_slow_data_once_and_trains_it_on_the_fast_endpoint(engine, tmp_path):
    """The placement case of tests/test_placement_cli.py, carried out: a Raspberry Pi 50x
    slower than a desktop with movable data moves it once, then trains it on the desktop."""
    from delta.fl.api import run_testbed

    eps = [
        {"id": "desktop", "hardware": {"cores": 8, "clock_ghz": 3.6},
         "executor": {"kind": "emulated", "speed": 1.0, "bandwidth_mbps": 500, "latency_ms": 5},
         "data": {"samples": 60, "bytes": 1_000_000, "movable": False},
         "network": {"bandwidth_mbps": 500, "latency_ms": 5}, "price_per_hour": 0.5},
        {"id": "pi", "hardware": {"cores": 4, "clock_ghz": 1.2},
         "executor": {"kind": "emulated", "speed": 50.0, "bandwidth_mbps": 10, "latency_ms": 50},
         "data": {"samples": 60, "bytes": 1_000_000, "movable": True},
         "network": {"bandwidth_mbps": 10, "latency_ms": 50}},
    ]
    tb = parse_testbed(json.dumps({"name": "move", "endpoints": eps,
                                   "objective": {"min_participants": 2},
                                   "round": {"samples": 60, "epochs": 2, "batch_size": 20}}))
    db = tmp_path / "d.sqlite3"
    # A wide deadline margin: this test is about the move, and a loaded machine's slower
    # compute (x50 on the Pi) must not make the Pi late.
    rec = run_testbed(tb, rounds=3, strategy="delta", seed=2, db=db, engine=engine,
                      checkpoint_dir=tmp_path / "c", margin=10.0).record
    moves = [(r["round"], m) for r in rec["rounds"] for m in r["moves"]]
    assert len(moves) == 1, moves  # once, never again
    (moved_in, move), = moves
    # The hidden links: 50 + 5 ms, then 8 Mbit over the slower 10 Mbit/s.
    assert move == {"data_of": "pi", "to": "desktop", "bytes": 1_000_000,
                    "seconds": pytest.approx(0.055 + 0.8), "usd": pytest.approx(
                        0.5 * 0.855 / 3600, abs=1e-6)}
    runs_on = [next(e["runs_on"] for e in r["endpoints"] if e["endpoint"] == "pi")
               for r in rec["rounds"]]
    assert runs_on.index("desktop") == moved_in - 1  # moved the first time it ran there
    assert runs_on[moved_in:].count("desktop") >= 1  # and trained there again, for free
    assert all(r["complete"] and r["participants"] == 2 for r in rec["rounds"])
    first = rec["rounds"][moved_in - 1]
    pi = next(e for e in first["endpoints"] if e["endpoint"] == "pi")
    assert pi["seconds"] > 0.855 and first["round_s"] >= pi["seconds"]  # waited for the data
    assert first["usd"] >= move["usd"]
    with Store(db) as store:
        obs = store.observations()
    (transfer,) = [o for o in obs if o.task == "transfer"]
    assert (transfer.endpoint, transfer.bytes) == ("pi", 1_000_000)
    # After the move the desktop trains both sites: every train observation of that
    # round is the desktop's.
    assert {o.endpoint for o in obs if o.task == "train"
            and o.extra["round"] == moved_in} == {"desktop"}


def test_delta_run_moves_each_site_at_most_once_and_never_back(engine, tmp_path):
    """Stable hidden speeds, three near-equal desktops and two movable Pis over four
    rounds: each Pi's data moves at most once and then trains on that desktop every
    round (no reshuffling among the desktops on profile noise, no trip home on the Pi's
    never-measured hardware prior)."""
    from delta.fl.api import run_testbed

    def ep(id_, speed, pi):
        return {"id": id_, "hardware": {"cores": 4, "clock_ghz": 1.2} if pi else
                {"cores": 8, "clock_ghz": 3.6},
                "executor": {"kind": "emulated", "speed": speed, "bandwidth_mbps": 100,
                             "latency_ms": 5},
                "data": {"samples": 40, "bytes": 200_000, "movable": pi},
                "network": {"bandwidth_mbps": 100, "latency_ms": 5}}

    eps = [ep("desk-1", 1.0, False), ep("desk-2", 1.0, False), ep("desk-3", 1.05, False),
           ep("pi-1", 40.0, True), ep("pi-2", 45.0, True)]
    tb = parse_testbed(json.dumps({"name": "stable", "endpoints": eps, "rounds": 4,
                                   "objective": {"min_participants": 5},
                                   "round": {"samples": 40, "epochs": 2, "batch_size": 20}}))
    rec = run_testbed(tb, rounds=4, strategy="delta", seed=3, db=tmp_path / "d.sqlite3",
                      engine=engine, checkpoint_dir=tmp_path / "c").record
    moves = [(r["round"], m["data_of"], m["to"]) for r in rec["rounds"] for m in r["moves"]]
    assert moves, "a 40x slower Pi with 200 kB of data should move"
    sites = [m[1] for m in moves]
    assert len(sites) == len(set(sites)) and set(sites) <= {"pi-1", "pi-2"}, moves
    for r_moved, site, host in moves:
        later = [next(e["runs_on"] for e in r["endpoints"] if e["endpoint"] == site)
                 for r in rec["rounds"][r_moved - 1:]]
        assert later == [host] * len(later), (site, later)


def test_delta_first_round_closes_by_quorum_and_still_measures_the_straggler(engine, tmp_path):
    from delta.fl.api import run_testbed

    db = tmp_path / "d.sqlite3"
    rec = run_testbed(_testbed(deadline_s=None), rounds=1, strategy="delta", seed=4, db=db,
                      engine=engine, checkpoint_dir=tmp_path / "c").record
    (rnd,) = rec["rounds"]
    by_ep = {e["endpoint"]: e for e in rnd["endpoints"]}
    assert [by_ep[k]["outcome"] for k in ("ok", "down", "slow")] == ["ok", "failed", "late"]
    # min_participants is 1: the round closes at 1.5x the first update's arrival.
    assert rnd["deadline_s"] == pytest.approx(1.5 * by_ep["ok"]["seconds"], rel=1e-3)
    assert rnd["round_s"] == rnd["deadline_s"] < by_ep["slow"]["seconds"]
    with Store(db) as store:
        slow = [o for o in store.observations() if o.endpoint == "slow"]
    assert len(slow) == 1 and slow[0].ok  # its speed is learned from the late task


def test_a_late_update_is_carried_into_the_next_round_and_its_device_stays_busy(engine,
                                                                               tmp_path):
    """Deadline 10 s (virtual).  ``slow``'s link latency alone takes 12 s per task: late
    by ~2 s, so its update arrives 2 s into the next round (folded there) and its next
    task starts 2 s late.  ``slower`` (25 s) arrives 15 s into the next round: after it
    closed, so it is dropped, never carried twice."""
    from delta.fl.api import run_testbed

    def ep(id_, latency_ms):
        return {"id": id_, "executor": {"kind": "emulated", "latency_ms": latency_ms},
                "data": {"samples": 30}}

    tb = parse_testbed(json.dumps({
        "name": "carry", "objective": {"min_participants": 1},
        "endpoints": [ep("ok", 5), ep("slow", 6000), ep("slower", 12500)],
        "round": {"samples": 30, "epochs": 1, "batch_size": 10, "deadline_s": 10}}))
    db, ckpt = tmp_path / "d.sqlite3", tmp_path / "c"
    rec = run_testbed(tb, rounds=2, strategy="uniform", seed=1, db=db, checkpoint_dir=ckpt,
                      engine=engine).record
    r1, r2 = rec["rounds"]
    assert [r["round_s"] for r in rec["rounds"]] == [10, 10]
    s1 = {e["endpoint"]: e for e in r1["endpoints"]}
    s2 = {e["endpoint"]: e for e in r2["endpoints"]}
    assert [s1[k]["outcome"] for k in ("ok", "slow", "slower")] == ["ok", "late", "late"]
    assert r1["carried"] == [] and r2["participants"] == 1  # carried updates are no quorum
    late_by = {k: s1[k]["seconds"] - 10 for k in ("slow", "slower")}
    assert 2 < late_by["slow"] < 10 < 15 < late_by["slower"]
    carried = {c["endpoint"]: c for c in r2["carried"]}
    assert carried["slow"] == {"endpoint": "slow", "from_round": 1, "samples": 30, "epochs": 1,
                               "arrived_s": pytest.approx(late_by["slow"], abs=1e-3),
                               "folded": True, "weight": pytest.approx(30 * 2 ** -0.5)}
    assert not carried["slower"]["folded"] and carried["slower"]["weight"] == 0
    assert "after the round closed" in carried["slower"]["note"]
    # Each device's round-2 task queued behind its late round-1 task: its update came in
    # that much later, while its observation keeps the task's own duration.
    with Store(db) as store:
        own = {o.endpoint: o.seconds for o in store.observations() if o.extra["round"] == 2}
    for k in ("slow", "slower"):
        assert s2[k]["seconds"] == pytest.approx(late_by[k] + own[k], abs=2e-3)
        assert 12 < own[k] < late_by[k] + own[k]
    assert s2["ok"]["seconds"] == pytest.approx(own["ok"], abs=1e-3)

    # Not checkpointed: a resumed run starts with nothing carried and its devices idle.
    again = run_testbed(tb, rounds=3, strategy="uniform", seed=1, db=db, checkpoint_dir=ckpt,
                        engine=engine, resume=True).record
    assert again["rounds"][:2] == rec["rounds"]
    r3 = again["rounds"][2]
    assert r3["carried"] == [] and r3["complete"]
    with Store(db) as store:
        own = {o.endpoint: o.seconds for o in store.observations() if o.extra["round"] == 3}
    s3 = {e["endpoint"]: e for e in r3["endpoints"]}
    assert all(s3[k]["seconds"] == pytest.approx(own[k], abs=1e-3) for k in own)
