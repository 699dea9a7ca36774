"""`delta plan` prices spot candidates with the spot-price predictor."""

from __future__ import annotations

import json

import yaml

from delta.store import Store
from tests.conftest import run_delta

TESTBED = {
    "name": "spot", "rounds": 100, "round": {"samples": 1000, "epochs": 10},
    "endpoints": [
        {"id": "pi", "hardware": {"cores": 4, "clock_ghz": 1.2},
         "data": {"samples": 1000, "bytes": 1_000_000, "movable": True},
         "network": {"bandwidth_mbps": 20, "latency_ms": 40}},
        {"id": "desk", "hardware": {"cores": 8, "clock_ghz": 3.6},
         "data": {"samples": 1000, "bytes": 1_000_000}},
    ],
    "cloud": [{"id": "c5", "instance_type": "c5.2xlarge", "region": "sa-east-1",
               "market": "spot", "price_per_hour": 5.0, "startup_s": 60,
               "hardware": {"cores": 8, "clock_ghz": 3.4}}],
}


def history(price: float) -> dict:
    return {"SpotPriceHistory": [
        {"InstanceType": "c5.2xlarge", "AvailabilityZone": f"sa-east-1{z}",
         "ProductDescription": "Linux/UNIX", "SpotPrice": f"{price + d:.4f}",
         "Timestamp": f"2020-05-{day:02d}T00:00:00.000Z"}
        for day in range(1, 29) for z, d in (("a", 0.0), ("b", 0.01))]}


def write_inputs(tmp_path):
    tb = tmp_path / "tb.yaml"
    tb.write_text(yaml.safe_dump(TESTBED))
    obs = tmp_path / "obs.csv"
    rows = [f"pi,1000,{e},{2 + 0.02 * e * 1000}" for e in (1, 3, 5)]
    rows += [f"desk,1000,{e},{1 + 0.002 * e * 1000}" for e in (1, 3, 5)]
    obs.write_text("endpoint,samples,epochs,seconds\n" + "\n".join(rows) + "\n")
    return tb, obs


def test_spot_forecast_replaces_the_declared_price(tmp_path):
    tb, obs = write_inputs(tmp_path)
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps(history(0.20)))
    r = run_delta("plan", str(tb), "-o", str(obs), "--no-store", "--prices", str(prices),
                  "-f", "json")
    assert r.returncode == 0, r.stderr
    plan = json.loads(r.stdout)
    assert any("c5: spot $0.2000/h forecast in sa-east-1a" in n for n in plan["notes"])
    # At $0.20/h (not the declared $5/h) moving the slow Pi's data to c5 pays off.
    assert [m["to"] for m in plan["moves"]] == ["c5"]
    held_usd = plan["round"]["usd"]
    assert 0 < held_usd < 5.0 * plan["round"]["makespan_s"] / 3600


def test_store_prices_are_used_and_bad_price_time_is_one_line(tmp_path):
    tb, obs = write_inputs(tmp_path)
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps(history(0.30)))
    assert run_delta("prices", "import", str(prices)).returncode == 0
    with Store() as s:
        assert s.count() == 0  # prices live in their own table
    r = run_delta("plan", str(tb), "-o", str(obs), "-f", "json")
    assert any("spot $0.3000/h" in n for n in json.loads(r.stdout)["notes"]), r.stderr
    r = run_delta("plan", str(tb), "-o", str(obs), "--price-time", "yesterday")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--price-time" in r.stderr
