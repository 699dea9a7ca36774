"""``delta profile``: round trips through files and one-line errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import cli, run_delta

LAW = {"fast": (0.4, 1e-3), "slow": (0.9, 6e-3)}


def write_observations(path, noise=0.02):
    rng = np.random.default_rng(0)
    lines = ["endpoint,task,samples,epochs,batch_size,seconds,cores,clock_ghz"]
    for ep, (o, k) in LAW.items():
        cores = 8 if ep == "fast" else 2
        for s, e in [(100, 1), (400, 2), (200, 5), (800, 1), (300, 4), (600, 3)]:
            t = (o + k * s * e) * rng.lognormal(0, noise)
            lines.append(f"{ep},train,{s},{e},32,{t:.5f},{cores},3.0")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_predict_round_trip_json(tmp_path):
    obs = write_observations(tmp_path / "obs.csv")
    q = tmp_path / "q.jsonl"
    q.write_text('{"endpoint": "slow", "samples": 500, "epochs": 3, "batch_size": 32}\n'
                 '{"endpoint": "fast", "samples": 500, "epochs": 3, "batch_size": 32, "id": "a"}\n'
                 '{"endpoint": "new", "samples": 500, "epochs": 3, "cores": 16, '
                 '"clock_ghz": 3.5}\n')
    r = run_delta("profile", "predict", "-o", str(obs), "-q", str(q), "--format", "json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert [x["endpoint"] for x in rows] == ["slow", "fast", "new"]  # one per query, in order
    assert rows[1]["id"] == "a"  # the row's own keys come back
    for x, ep in zip(rows[:2], ("slow", "fast")):
        o, k = LAW[ep]
        assert x["p50"] == pytest.approx(o + k * 1500, rel=0.1)
        assert x["p10"] < x["p50"] < x["p90"] and x["profile"] == "observations"
    assert rows[2]["profile"] == "hardware prior"
    assert rows[2]["p50"] < rows[1]["p90"]  # declared faster than "fast": ranked with it


def test_a_model_size_no_run_recorded_leaves_predictions_whole(tmp_path, capsys):
    """Queries that ask about model size when the runs never recorded it: the FLoX
    example's eleven endpoints, and a new one from its hardware, which was predicted 0 s
    (the unseen term's prior wiped out the others')."""
    obs = Path(__file__).parents[1] / "examples" / "flox-observations.csv"
    q = tmp_path / "q.csv"
    q.write_text("endpoint,samples,epochs,batch_size,model_params,cores,clock_ghz\n" + "".join(
        f"{ep},600,5,32,{mp},{cores},{ghz}\n" for ep, cores, ghz in
        (("desktop-1", 8, 3.6), ("pi3-1", 4, 1.2), ("new-box", 4, 2.0)) for mp in (0, 85002)))
    code, out, err = cli(capsys, "profile", "predict", "-o", str(obs), "-q", str(q), "-f", "json")
    assert code == 0, err
    p50 = {(r["endpoint"], r["model_params"]): r["p50"] for r in json.loads(out)}
    for ep in ("desktop-1", "pi3-1", "new-box"):
        assert p50[ep, 0] == p50[ep, 85002] > 0  # nothing learned about model size
    assert p50["desktop-1", 0] < p50["new-box", 0] < p50["pi3-1", 0]


def test_suggest_returns_k_distinct_candidates_in_order(tmp_path, capsys):
    obs = write_observations(tmp_path / "obs.csv")
    c = tmp_path / "c.csv"
    c.write_text("endpoint,samples,epochs,batch_size\n" + "".join(
        f"slow,{s},{e},32\n" for s in (50, 200, 800, 1600) for e in (1, 3, 10)))
    code, out, err = cli(capsys, "profile", "suggest", "-o", str(obs), "-c", str(c), "--n", "5",
                         "-f", "json")
    assert code == 0, err
    rows = json.loads(out)
    assert [r["order"] for r in rows] == [1, 2, 3, 4, 5]
    assert len({(r["samples"], r["epochs"]) for r in rows}) == 5
    code, out, _ = cli(capsys, "profile", "suggest", "-o", str(obs), "-c", str(c), "--n", "2")
    assert code == 0 and "Run next" in out


def test_show_prints_curves_error_and_count(tmp_path, capsys):
    obs = write_observations(tmp_path / "obs.csv")
    code, out, err = cli(capsys, "profile", "show", "slow", "-o", str(obs), "-f", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["n_observations"] == 6 and doc["source"] == "observations"
    assert doc["error_so_far"]["n"] == 6 and doc["error_so_far"]["median_ape"] < 0.2
    assert doc["curves"][0]["variable"] == "work"
    p50 = [p["p50"] for p in doc["curves"][0]["points"]]
    assert p50 == sorted(p50)  # more samples, more seconds
    by_epochs = next(c for c in doc["curves"] if c["column"] == "epochs")
    assert by_epochs["variable"] == "work"
    p50 = [p["p50"] for p in by_epochs["points"]]
    assert p50 == sorted(p50)  # every epoch costs time, however few its samples
    assert "per_epoch_s" in doc["terms"]
    code, out, _ = cli(capsys, "profile", "show", "slow", "-o", str(obs))
    assert code == 0 and "error so far" in out and "seconds vs samples" in out


@pytest.mark.parametrize("queries, problem", [
    ("endpoint,epochs\nslow,3\n", "missing column 'samples' in queries"),
    ("endpoint,samples,epochs\nslow,many,3\n", "'samples' must be a number, got 'many'"),
    ("endpoint,samples,epochs\nslow,-5,3\n", "'samples' must not be negative"),
    ("endpoint,samples,epochs\nghost,5,3\n", "unknown endpoint 'ghost'"),
    ("endpoint,samples,epochs,cores\nnew,5,3,lots\n", "'cores' must be a number"),
])
def test_bad_queries_are_one_line_errors(tmp_path, capsys, queries, problem):
    obs = write_observations(tmp_path / "obs.csv")
    q = tmp_path / "q.csv"
    q.write_text(queries)
    code, _, err = cli(capsys, "profile", "predict", "-o", str(obs), "-q", str(q))
    assert code == 2
    assert err.startswith("delta: error: ") and problem in err and err.count("\n") == 1, err


@pytest.mark.parametrize("observations, problem", [
    ("endpoint,samples,epochs,seconds\nslow,5,3,-1\n", "'seconds' must not be negative"),
    ("endpoint,samples,epochs\nslow,5,3\n", "missing column 'seconds'"),
    ("endpoint,samples,epochs,seconds\nslow,5,3,fast\n", "'seconds' must be a number"),
])
def test_bad_observations_are_one_line_errors(tmp_path, capsys, observations, problem):
    obs = tmp_path / "obs.csv"
    obs.write_text(observations)
    q = tmp_path / "q.csv"
    q.write_text("endpoint,samples,epochs\nslow,5,3\n")
    code, _, err = cli(capsys, "profile", "predict", "-o", str(obs), "-q", str(q))
    assert code == 2 and problem in err and "obs.csv" in err and err.count("\n") == 1, err


def test_bad_arguments_are_one_line_errors(tmp_path, capsys):
    obs = write_observations(tmp_path / "obs.csv")
    code, _, err = cli(capsys, "profile", "suggest", "-o", str(obs), "-c", str(obs), "--n", "-2")
    assert code == 2 and "--n: must be at least 1, got -2" in err and err.count("\n") == 1
    code, _, err = cli(capsys, "profile", "predict", "-o", str(tmp_path / "nope.csv"), "-q",
                       str(obs))
    assert code == 2 and "nope.csv: no such file" in err and err.count("\n") == 1
    code, _, err = cli(capsys, "profile", "show", "ghost", "-o", str(obs), "--no-store")
    assert code == 2 and "unknown endpoint 'ghost'" in err
