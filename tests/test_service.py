"""The gRPC service against a real server on 127.0.0.1: health, reflection, auth, TLS,
the plan it serves, statuses for bad input, idempotent and concurrent reporting."""

from __future__ import annotations

import json
import math
import threading
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from delta._proto import delta_pb2 as pb
from delta.client import DeltaClient, ServiceError
from delta.config import parse_testbed
from delta.planning import plan_testbed
from delta.service import convert
from delta.service.backends import CostForecast
from delta.store import Store
from tests.conftest import ROOT
from tests.service_fixtures import TOKEN, self_signed_cert, serving, stub, svc_testbed
from tests.test_plan import observations

FLOX = ROOT / "examples" / "flox-testbed.yaml"


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "svc.sqlite3"


def test_health_serving_and_reflection_lists_the_service(db):
    with serving(db) as srv, grpc.insecure_channel(f"127.0.0.1:{srv.port}") as ch:
        health = health_pb2_grpc.HealthStub(ch)
        for name in ("", "delta.v1.Delta"):
            reply = health.Check(health_pb2.HealthCheckRequest(service=name), timeout=10)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
        refl = reflection_pb2_grpc.ServerReflectionStub(ch)
        replies = list(refl.ServerReflectionInfo(iter([
            reflection_pb2.ServerReflectionRequest(list_services=""),
            reflection_pb2.ServerReflectionRequest(file_containing_symbol="delta.v1.Delta"),
        ]), timeout=10))
        names = {s.name for s in replies[0].list_services_response.service}
        assert {"delta.v1.Delta", "grpc.health.v1.Health"} <= names
        assert replies[1].file_descriptor_response.file_descriptor_proto  # the schema itself


def test_auth_rejects_and_accepts(db):
    with serving(db, token=TOKEN) as srv:
        target = f"127.0.0.1:{srv.port}"
        for token in (None, "wrong", TOKEN + "x"):
            with DeltaClient(target, token=token) as c, pytest.raises(ServiceError) as err:
                c.plan(svc_testbed(2))
            assert err.value.code == "UNAUTHENTICATED"
        with grpc.insecure_channel(target) as ch, pytest.raises(grpc.RpcError) as err:
            health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=10)
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with DeltaClient(target, token=TOKEN) as c:
            assert c.report(observations()[:3]) == 3
            assert c.plan(svc_testbed(2))["testbed"] == "svc"


def test_tls(db):
    cert, key = self_signed_cert()
    with serving(db, tls=(cert, key), token=TOKEN) as srv:
        with DeltaClient(f"localhost:{srv.port}", token=TOKEN, root_certificates=cert,
                         options=[("grpc.ssl_target_name_override", "localhost")]) as c:
            assert len(c.plan(svc_testbed(3))["assignments"]) == 3
        with DeltaClient(f"127.0.0.1:{srv.port}", token=TOKEN, retries=0) as c, \
                pytest.raises(ServiceError) as err:  # plaintext to a TLS port
            c.plan(svc_testbed(3))
        assert err.value.code == "UNAVAILABLE"


def test_plan_mirrors_the_plan_json(db):
    obs = observations()
    tb_text = svc_testbed(5)
    expected = plan_testbed(parse_testbed(tb_text), obs).to_dict()
    with serving(db) as srv, stub(srv.port) as s:
        req = pb.PlanRequest(testbed_yaml=tb_text,
                             observations=[convert.observation_to_proto(o) for o in obs])
        reply = s.Plan(req, timeout=30)
        assert json.loads(reply.plan_json) == json.loads(json.dumps(expected))
        assert [a.endpoint for a in reply.assignments] == [a["endpoint"] for a in
                                                           expected["assignments"]]
        for a, e in zip(reply.assignments, expected["assignments"]):
            assert (a.samples, a.epochs, a.profile) == (e["samples"], e["epochs"], e["profile"])
            assert a.predicted_seconds.p50 == pytest.approx(e["predicted_seconds"]["p50"])
        assert reply.round.makespan_s == pytest.approx(expected["round"]["makespan_s"])
        assert reply.baseline.name == "uniform"
        assert reply.baseline.sample_epochs == expected["baseline"]["sample_epochs"]
        assert reply.speedup > 1.5
        # The same testbed as structured messages plans the same.
        structured = pb.PlanRequest(testbed=convert.testbed_to_proto(
            parse_testbed(tb_text).model_dump(exclude_none=True)), observations=req.observations)
        assert s.Plan(structured, timeout=30).plan_json == reply.plan_json


def test_reports_feed_the_next_plan_and_profiles(db):
    tb_text = svc_testbed(5)
    with serving(db) as srv, DeltaClient(f"127.0.0.1:{srv.port}") as c:
        cold = c.plan(tb_text)
        assert {a["profile"] for a in cold["assignments"]} == {"hardware prior"}
        assert c.report(observations()) == 25
        warm = c.plan(tb_text)
        assert {a["profile"] for a in warm["assignments"]} == {"observations"}
        q = c.predict(tb_text, "ep-4", samples=500, epochs=2)
        assert q.p10 < q.p50 < q.p90 and q.p50 == pytest.approx(0.7 + 16e-3 * 1000, rel=0.2)
        prof = {p["endpoint"]: p for p in c.profiles(tb_text)}
        assert prof["ep-4"]["n_observations"] == 5
        assert prof["ep-4"]["seconds_per_sample_epoch"] == pytest.approx(16e-3, rel=0.2)
        p4 = prof["ep-4"]  # the parts add up to the profile's own median
        assert p4["overhead_s"] + 2 * (p4["seconds_per_epoch"] + 500 * p4[
            "seconds_per_sample_epoch"]) == pytest.approx(q.p50, rel=0.02)


def test_retried_batches_are_stored_once(db):
    with serving(db) as srv, stub(srv.port) as s:
        req = pb.ReportObservationsRequest(
            observations=[convert.observation_to_proto(o) for o in observations()[:4]],
            idempotency_key="round-7/ep-0")
        first, retry = s.ReportObservations(req, timeout=10), s.ReportObservations(req, timeout=10)
        assert (first.stored, first.duplicate) == (4, False)
        assert (retry.stored, retry.duplicate) == (4, True)
    with Store(db) as store:
        assert store.count() == 4


def _reporter(port: int, worker: int, n: int, batch: int, errors: list) -> None:
    try:
        with stub(port) as s:
            for start in range(0, n, batch):
                req = pb.ReportObservationsRequest(
                    observations=[pb.Observation(endpoint=f"w{worker}", seconds=1.0,
                                                 samples=start + j) for j in range(batch)],
                    idempotency_key=f"w{worker}/{start}")
                assert s.ReportObservations(req, timeout=60).stored == batch
                if start % 70 == 0:  # a client retry after a lost reply: not stored twice
                    assert s.ReportObservations(req, timeout=60).duplicate
    except BaseException as exc:  # surfaced by the test thread
        errors.append(exc)


def test_concurrent_reporters_store_exactly_what_they_send(db):
    workers, n, batch = 16, 1000, 10
    errors: list = []
    with serving(db, workers=16) as srv:
        threads = [threading.Thread(target=_reporter, args=(srv.port, w, n, batch, errors))
                   for w in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors, errors[0]
    with Store(db) as store:
        assert store.count() == workers * n
        for w in (0, workers - 1):
            assert sorted(o.samples for o in store.observations(endpoint=f"w{w}")) == list(range(n))


class _Forecaster:
    def forecast_cost(self, *, instance_type, az, region, product, start, hours):
        return CostForecast(expected_usd=0.1 * hours, p10_usd=0.08 * hours,
                            p90_usd=0.12 * hours, mean_price=0.1, p_interrupt=0.05,
                            az=az or f"{region}a", model=f"flat:{product}:{start.year}")


class _Designer:
    def suggest(self, observations, candidates, n):
        order = sorted(range(len(candidates)), key=lambda i: -candidates[i].samples)
        return order[:n]


def test_backends_answer_when_configured_and_say_so_when_not(db):
    cands = [pb.Candidate(endpoint="ep-0", samples=s, epochs=1) for s in (10, 300, 50)]
    with serving(db) as srv, DeltaClient(f"127.0.0.1:{srv.port}") as c, stub(srv.port) as s:
        with pytest.raises(ServiceError, match="no spot-price forecaster") as err:
            c.forecast("c5.large", 3.0, region="sa-east-1")
        assert err.value.code == "FAILED_PRECONDITION"
        with pytest.raises(grpc.RpcError) as rpc_err:
            s.SuggestExperiments(pb.SuggestExperimentsRequest(candidates=cands, n=2), timeout=10)
        assert rpc_err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    with serving(db, forecaster=_Forecaster(), designer=_Designer()) as srv, \
            DeltaClient(f"127.0.0.1:{srv.port}") as c, stub(srv.port) as s:
        f = c.forecast("c5.large", 3.0, region="sa-east-1")
        assert (f.expected_usd, f.az) == (pytest.approx(0.3), "sa-east-1a")
        assert f.model.startswith("flat:Linux/UNIX:")
        reply = s.SuggestExperiments(pb.SuggestExperimentsRequest(candidates=cands, n=2),
                                     timeout=10)
        assert list(reply.indices) == [1, 2] and reply.chosen[0].samples == 300


def test_message_size_limit(db):
    with serving(db, max_message_bytes=64 * 1024) as srv, stub(srv.port) as s:
        with pytest.raises(grpc.RpcError) as err:
            s.Plan(pb.PlanRequest(testbed_yaml="#" * 100_000), timeout=10)
        assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert s.Plan(pb.PlanRequest(testbed_yaml=svc_testbed(3)), timeout=10).assignments


def _bad(s, method: str, req) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as err:
        getattr(s, method)(req, timeout=30)
    return err.value


@pytest.mark.parametrize("method, req, words", [
    ("Plan", pb.PlanRequest(), "testbed_yaml: a testbed is required"),
    ("Plan", pb.PlanRequest(testbed_yaml="endpoints: [{id: a"), "malformed YAML"),
    ("Plan", pb.PlanRequest(testbed_yaml="endpoints: []"), "endpoints: List should have at least"),
    ("Plan", pb.PlanRequest(testbed=pb.Testbed()), "testbed: endpoints: required field"),
    ("Plan", pb.PlanRequest(testbed_yaml=svc_testbed(2).replace("samples: 500\n", "samples: -3\n",
                                                                   1)),
     "samples: Input should be greater than or equal to"),
    ("Plan", pb.PlanRequest(testbed=pb.Testbed(endpoints=[pb.Endpoint(
        id="a", hardware=pb.Hardware(clock_ghz=math.nan))])),
     "endpoints[0].hardware.clock_ghz: must be a finite number"),
    ("Plan", pb.PlanRequest(testbed_yaml=svc_testbed(2),
                            observations=[pb.Observation(endpoint="ghost", seconds=1.0)]),
     "observations[0]: unknown endpoint 'ghost'"),
    ("Plan", pb.PlanRequest(testbed_yaml=svc_testbed(2), deadline_s=math.inf), "deadline_s"),
    ("Plan", pb.PlanRequest(testbed_yaml="a: &x [1]\nb: *x\n"), "YAML aliases"),
    ("Plan", pb.PlanRequest(testbed_yaml="[" * 5000), "testbed_yaml"),
    ("ReportObservations", pb.ReportObservationsRequest(
        observations=[pb.Observation(endpoint="a", seconds=1.0),
                      pb.Observation(endpoint="a", seconds=math.nan)]),
     "observations[1]: 'seconds' must be finite"),
    ("ReportObservations", pb.ReportObservationsRequest(
        observations=[pb.Observation(endpoint="a", seconds=1.0, epochs=-2)]),
     "observations[0]: 'epochs' must not be negative"),
    ("ReportObservations", pb.ReportObservationsRequest(
        observations=[pb.Observation(seconds=1.0)]), "observations[0]: missing column 'endpoint'"),
    ("PredictRuntime", pb.PredictRuntimeRequest(testbed_yaml=svc_testbed(2), endpoint="nope",
                                                samples=1, epochs=1), "endpoint: unknown"),
    ("PredictRuntime", pb.PredictRuntimeRequest(testbed_yaml=svc_testbed(2), endpoint="ep-0",
                                                samples=-1, epochs=1), "samples: must be at least"),
    ("GetProfile", pb.GetProfileRequest(testbed_yaml=svc_testbed(2), endpoints=["ep-0", "x"]),
     "endpoints[1]: unknown endpoint 'x'"),
    ("ForecastCost", pb.ForecastCostRequest(instance_type="c5.large", az="a", hours=-1),
     "hours: must be a positive number"),
    ("SuggestExperiments", pb.SuggestExperimentsRequest(
        candidates=[pb.Candidate(endpoint="a", samples=0, epochs=1)], n=1),
     "candidates[0].samples: must be at least 1"),
])
def test_bad_input_is_invalid_argument_naming_the_field(db, method, req, words):
    with serving(db) as srv, stub(srv.port) as s:
        err = _bad(s, method, req)
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, err.details()
    assert words in err.details()


def test_infeasible_plan_is_failed_precondition(db):
    with serving(db) as srv, stub(srv.port) as s:
        err = _bad(s, "Plan", pb.PlanRequest(testbed_yaml=svc_testbed(2), deadline_s=1e-6))
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "round.deadline_s" in err.details()


def test_flower_style_example_plans_and_reports_each_round(db, monkeypatch):
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(
        "flower_example", ROOT / "examples" / "flower_configure_fit.py")
    example = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, example)  # dataclasses look their module up
    spec.loader.exec_module(example)
    with serving(db) as srv:
        makespans = example.run(f"127.0.0.1:{srv.port}", rounds=2)
    assert len(makespans) == 2
    with Store(db) as store:
        assert store.count() == 2 * 10  # one observation per client per round


def test_plans_follow_rows_other_processes_commit(db):
    from delta.observations import Observation

    tb_text = svc_testbed(2)
    with serving(db) as srv, DeltaClient(f"127.0.0.1:{srv.port}") as c:
        first = c.plan(tb_text)
        c.report([Observation(endpoint="elsewhere", seconds=1.0, samples=1, epochs=1)])
        assert c.plan(tb_text) == first  # nothing about this testbed changed
        with Store(db) as other:  # e.g. `delta observe import` while the service runs
            other.add(o for o in observations() if o.endpoint in ("ep-0", "ep-1"))
        after = c.plan(tb_text)
    assert {a["profile"] for a in after["assignments"]} == {"observations"}
    assert after != first


def test_batches_above_the_limit_are_refused_whole(db):
    from delta.service.servicer import MAX_BATCH

    obs = [pb.Observation(endpoint="a", seconds=1.0)] * (MAX_BATCH + 1)
    with serving(db) as srv, stub(srv.port) as s:
        err = _bad(s, "ReportObservations", pb.ReportObservationsRequest(observations=obs))
        assert s.ReportObservations(pb.ReportObservationsRequest(observations=obs[:MAX_BATCH]),
                                    timeout=60).stored == MAX_BATCH
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "observations: at most 10000 per call" in err.details()
