"""A real FL round on Globus Compute's GlobusComputeEngine (Parsl's HighThroughputExecutor),
started locally like an endpoint starts it: an interchange and a worker pool on 127.0.0.1."""

from __future__ import annotations

import json

import pytest

from delta.config import parse_testbed

pytestmark = pytest.mark.slow


@pytest.fixture
def parsl_engine(tmp_path, monkeypatch):
    from delta.fl.executors.engine import EngineExecutor

    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # the endpoint writes under HOME
    ex = EngineExecutor("parsl", workers=1, run_dir=str(tmp_path / "run"))
    yield ex
    ex.shutdown()


def test_a_round_on_the_globus_compute_engine(parsl_engine, tmp_path):
    from globus_compute_endpoint.engines import GlobusComputeEngine

    from delta.fl.api import run_testbed
    from delta.fl.executors.base import TaskFailure
    from delta.fl.task import train_task

    assert isinstance(parsl_engine.engine, GlobusComputeEngine)
    spec = {"source": "sklearn:digits", "indices": list(range(40))}
    out = parsl_engine.submit(train_task, "delta.fl.models:digits_mlp", None, spec, 40, 2,
                              20, seed=1).result(timeout=300)
    assert (out["samples"], out["epochs"]) == (40, 2)
    assert [w.shape for w in out["weights"]] == [(64, 64), (64,), (64, 10), (10,)]
    assert out["timings"]["train"] > 0
    with pytest.raises(TaskFailure, match="model builder|cannot import|No module"):
        parsl_engine.submit(train_task, "no_such_pkg.mod:fn", None, spec, 40, 1).result(
            timeout=300)

    eps = [{"id": f"local-{i}", "executor": {"kind": "local"}, "data": {"samples": 40}}
           for i in range(2)]
    tb = parse_testbed(json.dumps({"name": "parsl", "endpoints": eps,
                                   "round": {"samples": 40, "epochs": 1, "batch_size": 20}}))
    rec = run_testbed(tb, rounds=1, strategy="uniform", seed=1, engine=parsl_engine,
                      db=tmp_path / "d.sqlite3", checkpoint_dir=tmp_path / "c").record
    (rnd,) = rec["rounds"]
    assert rec["clock"] == "wall" and rnd["complete"] and rnd["participants"] == 2
    assert [e["outcome"] for e in rnd["endpoints"]] == ["ok", "ok"]
    assert 0.0 <= rnd["accuracy"] <= 1.0
