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
    with pytest.raises(TaskFailure, match="model builder|cannot import|No module"):
        parsl_engine.submit(train_task, "no_such_pkg.mod:fn", None, spec, 40, 1).result(
            timeout=300)

    eps = [{"id": f"local-{i}", "executor": {"kind": "local"}, "data": {"samples": 40}}
           for i in range(2)]
    tb = parse_testbed(json.dumps({"name": "parsl", "endpoints": eps,
                                   "round": {"samples": 40, "epochs": 1, "batch_size": 20}}))
    res = run_testbed(tb, rounds=1, strategy="uniform", seed=1, engine=parsl_engine,
                      db=tmp_path / "d.sqlite3", checkpoint_dir=tmp_path / "c")
    rec = res.record
    (rnd,) = rec["rounds"]
    assert rec["clock"] == "wall" and rnd["complete"] and rnd["participants"] == 2
    assert [e["outcome"] for e in rnd["endpoints"]] == ["ok", "ok"]
    assert [(e["samples"], e["epochs"]) for e in rnd["endpoints"]] == [(40, 1), (40, 1)]
    assert 0.0 <= rnd["accuracy"] <= 1.0
    assert [w.shape for w in res.weights] == [(64, 64), (64,), (64, 10), (10,)]
