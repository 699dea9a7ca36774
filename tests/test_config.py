from __future__ import annotations

import json

import pytest
import yaml

from delta.config import load_testbed, parse_testbed
from delta.errors import ConfigError
from tests.conftest import ROOT, endpoint_yaml, run_delta


def tb_text(**over) -> str:
    tb = {"name": "t", "endpoints": [endpoint_yaml(0), endpoint_yaml(1)]}
    tb.update(over)
    return yaml.safe_dump(tb)


def test_example_testbed_has_the_flox_devices():
    tb = load_testbed(ROOT / "examples" / "flox-testbed.yaml")
    ids = [e.id for e in tb.endpoints]
    assert sum(i.startswith("pi3") for i in ids) == 4
    assert sum(i.startswith("pi4") for i in ids) == 2
    assert sum(i.startswith("jetson") for i in ids) == 1
    assert sum(i.startswith("desktop") for i in ids) == 3
    pi3 = tb.endpoint("pi3-1").hardware
    assert (pi3.cores, pi3.clock_ghz, pi3.memory_gb) == (4, 1.2, 1.0)


def test_json_is_valid_yaml():
    tb = parse_testbed(json.dumps({"endpoints": [endpoint_yaml(0)]}), "x.json")
    assert tb.endpoints[0].id == "ep-0"
    assert tb.round.epochs == 10


@pytest.mark.parametrize(
    "mutate, field, words",
    [
        (lambda t: t["endpoints"][1].update(id="ep-0"), "endpoints[1].id",
         "duplicate endpoint id 'ep-0'"),
        (lambda t: t["endpoints"][0]["data"].update(copies_at=["nope"]),
         "endpoints[0].data.copies_at", "'nope' is not another endpoint"),
        (lambda t: t["endpoints"][1]["data"].update(runs_on="ep-1"),
         "endpoints[1].data.runs_on", "'ep-1' is not another endpoint"),
        (lambda t: t.update(objective={"min_participants": 3}), "objective.min_participants",
         "3 exceeds the number of endpoints (2)"),
        (lambda t: t["round"].update(epochs=-3), "round.epochs", "greater than or equal to 1"),
        (lambda t: t["round"].update(epocs=3), "round.epocs", "unknown field"),
        (lambda t: t["endpoints"][1]["data"].update(samples=-1), "endpoints[1].data.samples",
         "greater than or equal to 0"),
        (lambda t: t["endpoints"][0]["hardware"].update(cores="many"),
         "endpoints[0].hardware.cores", "integer"),
        (lambda t: t["round"].update(min_epochs=20), "round", "min_epochs (20) exceeds epochs"),
        (lambda t: t.update(endpoints=[]), "endpoints", "at least 1"),
        (lambda t: t["endpoints"][0].update(executor={"kind": "globus"}),
         "endpoints[0].executor", "endpoint_id"),
        (lambda t: t["endpoints"][0].update(executor={"kind": "ssh"}),
         "endpoints[0].executor.kind", "local"),
        (lambda t: t["endpoints"][0]["hardware"].update(clock_ghz=float("nan")),
         "endpoints[0].hardware.clock_ghz", "finite"),
    ],
)
def test_bad_testbeds_name_the_field(mutate, field, words):
    tb = {"name": "t", "round": {"epochs": 10}, "endpoints": [endpoint_yaml(0), endpoint_yaml(1)]}
    mutate(tb)
    with pytest.raises(ConfigError) as info:
        parse_testbed(yaml.safe_dump(tb), "bad.yaml")
    msg = str(info.value)
    assert msg.startswith("bad.yaml: ")
    assert words in msg
    if field:
        assert f": {field}: " in msg


def test_malformed_yaml_names_the_line():
    with pytest.raises(ConfigError, match=r"^bad.yaml: line \d: malformed YAML"):
        parse_testbed("name: x\nendpoints:\n  - id: a\n    data: {samples: 3\n", "bad.yaml")


def test_cli_bad_input_is_one_line_exit_2(tmp_path):
    missing = run_delta("plan", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2
    assert missing.stderr.strip().count("\n") == 0
    assert "nope.yaml: no such file" in missing.stderr
    bad = tmp_path / "typo.yaml"
    bad.write_text(tb_text(round={"epohcs": 2}))
    r = run_delta("plan", str(bad))
    assert r.returncode == 2
    assert r.stderr.strip() == f"delta: error: {bad}: round.epohcs: unknown field"
    assert "Traceback" not in r.stderr


def test_cli_negative_deadline(tmp_path):
    f = tmp_path / "t.yaml"
    f.write_text(tb_text())
    r = run_delta("plan", str(f), "--deadline", "-5")
    assert r.returncode == 2
    assert "--deadline: must be positive" in r.stderr


@pytest.mark.parametrize("args", [("plan",), ("plan", "x.yaml", "--deadline", "abc"),
                                  ("nosuch",), ("observe", "list", "--limit", "0"),
                                  ("plan", "x.yaml", "--format", "xml")])
def test_usage_errors_are_one_line(args):
    r = run_delta(*args)
    assert r.returncode == 2
    assert r.stderr.startswith("delta: error: ") and r.stderr.count("\n") == 1, r.stderr
