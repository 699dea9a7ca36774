"""`delta plan` with cloud candidates: moves, the front, instance-type specs, clear errors."""

from __future__ import annotations

import json

import pytest
import yaml

from delta.cli import main
from delta.config import parse_testbed
from delta.errors import ConfigError
from delta.instance_types import candidate_hardware
from delta.planning import problem_from_testbed
from tests.conftest import run_delta

# True per-sample-epoch seconds: a desktop, a Raspberry Pi 50x slower, a c5 instance.
LAW = {"desktop": (0.5, 2e-4), "pi": (0.5, 1e-2), "aws-c5": (0.5, 1e-4)}


def write_testbed(tmp_path, **over):
    tb = {
        "name": "clear", "rounds": 100, "round": {"samples": 1000, "epochs": 10},
        "endpoints": [
            {"id": "desktop", "hardware": {"cores": 8, "clock_ghz": 3.6},
             "data": {"samples": 1000, "bytes": 1_000_000, "movable": False}},
            {"id": "pi", "hardware": {"cores": 4, "clock_ghz": 1.2},
             "data": {"samples": 1000, "bytes": 1_000_000, "movable": True},
             "network": {"bandwidth_mbps": 10, "latency_ms": 50}},
        ],
        "cloud": [{"id": "aws-c5", "instance_type": "c5.2xlarge", "market": "on-demand",
                   "price_per_hour": 0.10, "startup_s": 60}],
        **over,
    }
    path = tmp_path / "clear.yaml"
    path.write_text(yaml.safe_dump(tb))
    obs = tmp_path / "obs.csv"
    obs.write_text("endpoint,samples,epochs,seconds\n" + "".join(
        f"{ep},{s},{e},{o + k * s * e}\n" for ep, (o, k) in LAW.items()
        for s, e in [(1000, 1), (500, 4), (1000, 3), (200, 10), (800, 2)]))
    return path, obs


def test_slow_pi_moves_to_the_cheap_fast_instance(tmp_path, shared_data, capsys):
    tb, obs = write_testbed(tmp_path)
    r = run_delta("plan", str(tb), "-o", str(obs), "--no-store", "-f", "json")
    assert r.returncode == 0, r.stderr
    plan = json.loads(r.stdout)
    runs_on = {a["endpoint"]: a["runs_on"] for a in plan["assignments"]}
    assert runs_on == {"desktop": "desktop", "pi": "aws-c5"}
    (move,) = plan["moves"]
    assert set(move) >= {"data_of", "to", "bytes", "seconds", "usd", "reason"}
    assert move["data_of"] == "pi" and move["bytes"] == 1_000_000
    assert move["seconds"] == pytest.approx(0.07 + 0.8)  # 50 + 20 ms, 8 Mbit at 10 Mbit/s
    assert "over 100 rounds" in move["reason"]
    assert plan["pareto"] and sum(p["chosen"] for p in plan["pareto"]) == 1
    assert set(plan["pareto"][0]) >= {"makespan_s", "usd", "progress"}
    out = in_process(capsys, "plan", str(tb), "-o", str(obs), "--no-store")
    assert "Data moves" in out[1] and "Pareto front" in out[1]
    assert "pi: moved to aws-c5" in out[1]


def in_process(capsys, *args: str) -> tuple[int, str, str]:
    """The CLI's own entry point in this process: (exit code, stdout, stderr)."""
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_infeasible_budget_is_one_line_naming_it(tmp_path, capsys):
    tb, obs = write_testbed(tmp_path, cloud=[], endpoints=[
        {"id": "a", "price_per_hour": 1.0}, {"id": "b", "price_per_hour": 2.0}],
        objective={"budget_usd_per_round": 0})
    code, out, err = in_process(capsys, "plan", str(tb), "--no-store")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith(f"delta: error: {tb}: objective.budget_usd_per_round: budget $0")


def test_deadline_below_every_overhead_is_one_line_naming_it(tmp_path, shared_data):
    tb, obs = write_testbed(tmp_path)
    r = run_delta("plan", str(tb), "-o", str(obs), "--no-store", "--deadline", "0.2")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith(f"delta: error: {tb}: round.deadline_s: deadline 0.2 s leaves 0")


def test_candidate_hardware_from_instance_type_specs(shared_data):
    tb = parse_testbed(yaml.safe_dump({"endpoints": [{"id": "e"}], "cloud": [
        {"id": "c", "instance_type": "c5.2xlarge"},
        {"id": "d", "instance_type": "made.up", "hardware": {"cores": 2, "clock_ghz": 2.0}}]}))
    hw = candidate_hardware(tb, shared_data / "instance-types.json.gz")
    assert (hw["c"].cores, hw["c"].clock_ghz, hw["c"].arch) == (8, 3.4, "x86_64")
    assert hw["d"].cores == 2  # declared hardware wins


def test_candidate_without_specs_or_hardware_is_a_clear_error(tmp_path):
    tb = parse_testbed(yaml.safe_dump({"endpoints": [{"id": "e"}], "cloud": [
        {"id": "c", "instance_type": "c5.2xlarge"}]}))
    with pytest.raises(ConfigError) as err:
        candidate_hardware(tb, tmp_path / "absent.json.gz")
    assert err.value.field == "cloud[0].hardware"
    specs = tmp_path / "types.json"
    specs.write_text(json.dumps({"InstanceTypes": []}))
    with pytest.raises(ConfigError) as err:
        candidate_hardware(tb, specs)
    assert err.value.field == "cloud[0].instance_type"
    specs.write_text("{]")
    with pytest.raises(ConfigError, match="not describe_instance_types JSON"):
        candidate_hardware(tb, specs)


def test_policy_and_egress_come_from_the_testbed():
    tb = parse_testbed(yaml.safe_dump({"round": {"policy": "both"}, "endpoints": [
        {"id": "e", "network": {"egress_usd_per_gb": 0.09}}]}))
    p = problem_from_testbed(tb)
    assert p.policy == "both" and p.endpoints[0].egress_usd_per_gb == 0.09
    with pytest.raises(ConfigError) as err:
        parse_testbed(yaml.safe_dump({"round": {"policy": "fastest"},
                                      "endpoints": [{"id": "e"}]}))
    assert err.value.field == "round.policy"
