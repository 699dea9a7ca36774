"""``delta run``: bad input is one line and exit code 2, before any engine starts."""

from __future__ import annotations

import json

import pytest

from tests.conftest import endpoint_yaml, run_delta


@pytest.fixture
def testbed(tmp_path):
    def write(**over):
        doc = {"name": "tiny", "endpoints": [endpoint_yaml(0), endpoint_yaml(1)], **over}
        p = tmp_path / "tb.yaml"
        p.write_text(json.dumps(doc))
        return str(p)
    return write


@pytest.mark.parametrize("args, message", [
    (["--strategy", "fastest"], "--strategy: unknown strategy 'fastest' (use uniform, "
                                "proportional, delta)"),
    (["--rounds", "0"], "--rounds: must be at least 1, got 0"),
    (["--rounds", "-3"], "--rounds: must be at least 1, got -3"),
    (["--non-iid", "0"], "--non-iid: must be positive, got 0"),
    (["--aggregation", "median"], "--aggregation: unknown aggregation 'median'"),
    (["--engine", "dask"], "--engine: unknown engine 'dask' (use process or parsl)"),
    (["--epochs", "0"], "--epochs: must be at least 1, got 0"),
    (["--samples", "-3"], "--samples: must be at least 1, got -3"),
])
def test_bad_options(testbed, args, message, tmp_path):
    r = run_delta("run", testbed(), *args, env={"HOME": str(tmp_path)})
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("delta: error: ") and message in lines[0], \
        r.stderr
    assert "Traceback" not in r.stderr


def test_model_builder_not_importable(testbed, tmp_path):
    r = run_delta("run", testbed(model={"builder": "nosuch.models:mlp"}),
                  env={"HOME": str(tmp_path)})
    assert r.returncode == 2
    assert r.stderr.strip() == ("delta: error: model.builder: cannot import model builder "
                                "module 'nosuch.models'")


def test_missing_testbed(tmp_path):
    r = run_delta("run", str(tmp_path / "nope.yaml"))
    assert r.returncode == 2 and r.stderr.strip().endswith("nope.yaml: no such file")


@pytest.mark.slow  # imports the Globus SDK and scikit-learn in a subprocess
def test_globus_endpoint_without_login_is_one_line(testbed, tmp_path):
    ep = endpoint_yaml(0, executor={"kind": "globus",
                                    "endpoint_id": "4b116d3c-1703-4f8f-9f6f-39921e5864df"})
    r = run_delta("run", testbed(endpoints=[ep]), "--rounds", "1", "--format", "json",
                  env={"HOME": str(tmp_path)})
    assert r.returncode == 2, r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("delta: error: endpoints[0].executor.endpoint_id: cannot log in "
                           "to Globus Compute"), r.stderr
    assert r.stdout == ""  # the SDK's login prompt never reaches stdout
