"""``delta run --server``: the delta strategy plans on a shared DELTA service."""

from __future__ import annotations

from delta.client import DeltaClient
from delta.fl.strategies import make_strategy
from delta.fl.strategies.service_planner import ServicePlanner
from delta.store import Store
from tests.conftest import ROOT, run_delta
from tests.service_fixtures import serving
from tests.test_fl_strategies import _observations, _testbed


def test_delta_strategy_plans_on_the_service_and_reports_its_rounds(tmp_path):
    db = tmp_path / "server.sqlite3"
    tb = _testbed()
    history = _observations(slow=0.01, fast=0.001)
    with serving(db) as srv, DeltaClient(f"127.0.0.1:{srv.port}") as client:
        remote = make_strategy("delta", planner=ServicePlanner(client))
        # The local store's history stays local: the server plans from what it was told.
        first = remote.plan(tb, history, 1)
        assert first.deadline_s is None
        ran = _observations(slow=0.02, fast=0.001)
        remote.round_finished(ran)
        with Store(db) as s:
            assert s.count() == len(ran)
        second = remote.plan(tb, [*history, *ran], 2)
        expected = make_strategy("delta").plan(tb, ran, 2)
        assert [(t.endpoint, t.samples, t.epochs) for t in second.tasks] == \
               [(t.endpoint, t.samples, t.epochs) for t in expected.tasks]


def test_server_needs_the_delta_strategy():
    r = run_delta("run", str(ROOT / "examples" / "flox-testbed.yaml"), "--strategy",
                  "uniform", "--server", "127.0.0.1:1")
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "--server: planning on a server needs --strategy delta" in r.stderr
