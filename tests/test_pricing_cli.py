from __future__ import annotations

import gzip
import json

import pytest

from tests.conftest import cli, run_delta


def history_doc(days=30, step_h=6):
    recs = []
    for az, base in (("sa-east-1a", 0.05), ("sa-east-1b", 0.04)):
        for h in range(0, days * 24, step_h):
            price = base * (1 + 0.01 * (h // 24 % 3))
            recs.append({"AvailabilityZone": az, "InstanceType": "m5.large",
                         "ProductDescription": "Linux/UNIX", "SpotPrice": f"{price:.6f}",
                         "Timestamp": f"2020-01-{1 + h // 24:02d}T{h % 24:02d}:00:00+00:00"})
    return {"SpotPriceHistory": recs}


@pytest.fixture
def hist(tmp_path):
    f = tmp_path / "h.json.gz"
    f.write_bytes(gzip.compress(json.dumps(history_doc()).encode()))
    return f


def test_import_is_idempotent_and_forecast_reads_the_store(hist, tmp_path, capsys):
    db = str(tmp_path / "s.sqlite3")
    code, _, err = cli(capsys, "prices", "import", str(hist), "--db", db)
    assert code == 0 and "240 records, 240 new" in err
    code, _, err = cli(capsys, "prices", "import", str(hist), "--db", db)
    assert code == 0 and "240 records, 0 new" in err
    code, out, _ = cli(capsys, "prices", "forecast", "--instance-type", "m5.large",
                       "--region", "sa-east-1", "--start", "2020-01-20T00:00:00Z",
                       "--hours", "2", "--db", db, "--format", "json")
    assert code == 0
    ans = json.loads(out)
    assert ans["az"] == "sa-east-1b" and ans["billed_s"] == 7200
    code, _, err = cli(capsys, "prices", "forecast", "--instance-type", "m5.lrge", "--start",
                       "2020-01-20", "--hours", "1", "--db", db)
    assert code == 2 and "in the store for m5.lrge; did you mean m5.large?" in err
    assert ans["p10_usd"] <= ans["expected_usd"] <= ans["p90_usd"]


def test_batch_queries_answer_in_order(hist, tmp_path):
    q = tmp_path / "q.jsonl"
    rows = [{"instance_type": "m5.large", "az": "sa-east-1a", "product": "Linux/UNIX",
             "start": "2020-01-25T00:00:00Z", "hours": 24},
            {"instance_type": "m5.large", "region": "sa-east-1", "product": "Linux/UNIX",
             "start": "2020-01-15T06:30:00Z", "hours": 1, "checkpoint_s": 300},
            {"instance_type": "m5.large", "az": "sa-east-1a", "product": "Linux/UNIX",
             "start": "2020-01-10T00:00:00Z", "hours": 0.01}]
    q.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    r = run_delta("prices", "forecast", "--history", str(hist), "--queries", str(q))
    assert r.returncode == 0, r.stderr
    answers = [json.loads(line) for line in r.stdout.splitlines()]
    assert [a["az"] for a in answers] == ["sa-east-1a", "sa-east-1b", "sa-east-1a"]
    assert [a["hours"] for a in answers] == [24, 1, 0.01]
    for a in answers:
        assert {"expected_usd", "p10_usd", "p90_usd", "mean_price", "p_interrupt", "az",
                "model"} <= set(a)
    assert answers[2]["billed_s"] == 60


@pytest.mark.parametrize("args, needle", [
    (["--instance-type", "m5.lrge", "--az", "sa-east-1a"], "did you mean m5.large"),
    (["--instance-type", "m5.large", "--az", "sa-east-1z"], "zone 'sa-east-1z'"),
    (["--instance-type", "m5.large", "--az", "sa-east-1a", "--start", "soon"], "ISO-8601"),
    (["--instance-type", "m5.large", "--az", "sa-east-1a", "--hours", "-3"], "hours"),
])
def test_bad_forecast_input_is_one_line(hist, capsys, args, needle):
    base = {"--start": "2020-01-20T00:00:00Z", "--hours": "2"}
    for k in list(base):
        if k in args:
            del base[k]
    flat = [x for kv in base.items() for x in kv]
    code, out, err = cli(capsys, "prices", "forecast", "--history", str(hist), *args, *flat)
    assert code == 2 and needle in err
    assert err.startswith("delta: error: ") and err.count("\n") == 1


def test_bad_files_are_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"SpotPriceHistory": [{"InstanceType": "m5.large"}]}')
    code, _, err = cli(capsys, "prices", "import", str(bad))
    assert code == 2 and "bad.json: SpotPriceHistory[0]: missing" in err
    code, _, err = cli(capsys, "prices", "import", str(tmp_path / "nope.json.gz"))
    assert code == 2 and "no such file" in err
    q = tmp_path / "q.jsonl"
    q.write_text('{"instance_type": "m5.large", "product": "Linux/UNIX", "start": 1, '
                 '"hours": 1, "zone": "a"}\n')
    good = tmp_path / "h.json"
    good.write_text(json.dumps(history_doc(days=3)))
    code, _, err = cli(capsys, "prices", "forecast", "--history", str(good), "--queries", str(q))
    assert code == 2 and "q.jsonl: line 1: unknown field 'zone'" in err
    code, _, err = cli(capsys, "prices", "forecast", "--instance-type", "m5.large")
    assert code == 2 and "missing --start, --hours" in err
    code, _, err = cli(capsys, "prices", "forecast", "--instance-type", "m5.large", "--start",
                       "2020-01-02", "--hours", "1")
    assert code == 2 and "no price history in the store" in err  # nothing imported yet


def test_backtest_prints_the_error_table(hist, capsys):
    code, out, err = cli(capsys, "prices", "backtest", "--history", str(hist), "--horizons",
                         "1,24", "--origins", "3", "--format", "json")
    assert code == 0, err
    rows = json.loads(out)
    models = {r["model"] for r in rows}
    assert {"last_value", "recent_mean", "seasonal_how", "learned_lags", "chosen"} <= models
    chosen = [r for r in rows if r["model"] == "chosen"]
    assert [r["hours"] for r in chosen] == [1, 24] and all(r["cases"] > 0 for r in chosen)
    assert all(0 <= r["coverage"] <= 1 for r in chosen)
    code, _, err = cli(capsys, "prices", "backtest", "--history", str(hist), "--horizons", "x")
    assert code == 2 and "--horizons" in err
