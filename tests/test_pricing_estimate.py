from __future__ import annotations

import gzip
import json
import math

import numpy as np
import pytest

from delta.errors import PriceError
from delta.pricing import Advisor, PriceHistory, PriceRecord, SeriesKey, estimate_cost
from delta.pricing.estimate import Estimator, interval
from delta.pricing.history import read_history_files, to_epoch
from delta.pricing.risk import expected_loss_usd, p_interrupt

H = 3600.0
T0 = to_epoch("2020-01-01T00:00:00Z")
ADVISOR = {"ranges": [], "spot_advisor": {"sa-east-1": {
    "Linux": {"m5.large": {"s": 70, "r": 0}, "c5.xlarge": {"s": 50, "r": 4}},
    "Windows": {"m5.large": {"s": 40, "r": 2}}}}}


def records(itype, az, prices_by_hour, product="Linux/UNIX"):
    key = SeriesKey(itype, az, product)
    return [PriceRecord(key, T0 + h * H, p) for h, p in prices_by_hour]


def two_zone_history():
    # Zone a is flat at 0.05; zone b at 0.04 until day 20, then it jumps to 0.09.
    a = records("m5.large", "sa-east-1a", [(h, 0.05) for h in range(0, 40 * 24, 6)])
    b = records("m5.large", "sa-east-1b", [(h, 0.04 if h < 20 * 24 else 0.09)
                                            for h in range(0, 40 * 24, 6)])
    return PriceHistory.from_records(a + b)


def test_zone_choice_picks_the_cheapest_zone_at_start():
    h = two_zone_history()
    early = estimate_cost(h, "m5.large", "Linux/UNIX", T0 + 10 * 24 * H, 24, region="sa-east-1")
    late = estimate_cost(h, "m5.large", "Linux/UNIX", T0 + 30 * 24 * H, 24, region="sa-east-1")
    assert (early.az, late.az) == ("sa-east-1b", "sa-east-1a")
    assert early.expected_usd == pytest.approx(0.04 * 24)
    assert late.expected_usd == pytest.approx(0.05 * 24)
    pinned = estimate_cost(h, "m5.large", "Linux/UNIX", T0 + 30 * 24 * H, 24, az="sa-east-1b")
    assert pinned.az == "sa-east-1b" and pinned.expected_usd == pytest.approx(0.09 * 24)


def test_no_look_ahead_future_records_change_nothing():
    base = two_zone_history()
    start = T0 + 25 * 24 * H + 1234.5
    past = PriceHistory.from_records(r for r in base.records() if r.timestamp <= start)
    # A wild future: prices after start are multiplied a hundredfold.
    wild = PriceHistory.from_records(
        PriceRecord(r.key, r.timestamp, r.price * (100 if r.timestamp > start else 1))
        for r in base.records())
    for az in ("sa-east-1a", "sa-east-1b"):
        answers = [estimate_cost(x, "m5.large", "Linux/UNIX", start, 72, az=az)
                   for x in (past, base, wild)]
        assert answers[0] == answers[1] == answers[2]


def test_no_look_ahead_on_real_history(shared_data):
    files = sorted((shared_data / "spot").glob("sa-east-1_*.json.gz"))
    recs = [r for r in read_history_files(files[-1:]) if r.key.instance_type == "m3.large"]
    start = to_epoch("2020-04-25T03:17:00Z")  # inside a falling ramp
    full = PriceHistory.from_records(recs)
    cut = PriceHistory.from_records(r for r in recs if r.timestamp <= start)
    for hours in (1, 72):
        a = estimate_cost(full, "m3.large", "Linux/UNIX", start, hours, region="sa-east-1")
        b = estimate_cost(cut, "m3.large", "Linux/UNIX", start, hours, region="sa-east-1")
        assert a == b


def test_short_runs_are_billed_the_minute_and_mean_price_is_per_hour():
    h = two_zone_history()
    e = estimate_cost(h, "m5.large", "Linux/UNIX", T0 + 5 * 24 * H, 10 / 3600, az="sa-east-1a")
    assert e.billed_s == 60
    assert e.expected_usd == pytest.approx(0.05 / 60)
    assert e.mean_price == pytest.approx(0.05)


def test_risk_from_the_advisor_band():
    adv = Advisor.from_feed(ADVISOR)
    h = two_zone_history()
    e = estimate_cost(h, "m5.large", "Linux/UNIX", T0 + 10 * 24 * H, 24, az="sa-east-1a",
                      checkpoint_s=600, advisor=adv)
    lam = -math.log(1 - 0.025) / 730
    assert e.hazard_per_h == pytest.approx(lam)
    assert e.p_interrupt == pytest.approx(1 - math.exp(-lam * 24))
    assert e.expected_loss_usd == pytest.approx(lam * 24 * (600 / 3600 / 2) * 0.05)
    assert e.on_demand_price == pytest.approx(0.05 / 0.3)
    # Without checkpoints, an interruption loses everything done so far.
    assert expected_loss_usd(lam, 24, 0.05) > 10 * e.expected_loss_usd
    # Higher bands are riskier; small hazards approach hazard x hours.
    hi = adv.lookup("sa-east-1", "Linux/UNIX", "c5.xlarge")
    assert hi.hazard_per_h > 8 * lam
    assert p_interrupt(1e-6, 10) == pytest.approx(1e-5, rel=1e-4)
    assert adv.lookup("sa-east-1", "Windows", "m5.large").band == 2
    assert adv.lookup("us-east-1", "Linux/UNIX", "m5.large") is None


def test_bad_advisor_and_queries_are_errors():
    with pytest.raises(PriceError, match="spot_advisor"):
        Advisor.from_feed({"nope": 1})
    with pytest.raises(PriceError, match="band"):
        Advisor.from_feed({"spot_advisor": {"r": {"Linux": {"t": {"s": 1, "r": 9}}}}})
    h = two_zone_history()
    with pytest.raises(PriceError, match="positive number of hours"):
        estimate_cost(h, "m5.large", "Linux/UNIX", T0 + 5 * 24 * H, -1, az="sa-east-1a")
    with pytest.raises(PriceError, match="at or before"):
        estimate_cost(h, "m5.large", "Linux/UNIX", T0 - 24 * H, 1, az="sa-east-1a")
    with pytest.raises(PriceError, match="instance type 'p9.huge'"):
        estimate_cost(h, "p9.huge", "Linux/UNIX", T0 + 5 * 24 * H, 1)


def test_interval_brackets_the_estimate_from_backtest_errors():
    lo, hi = interval(10.0, np.log(np.array([0.9, 1.0, 1.0, 1.1, 1.2])))
    assert lo < 10.0 < hi
    assert interval(10.0, np.zeros(0)) == (10.0, 10.0)
    # A series that moves gets a real interval that contains the estimate.
    h = two_zone_history()
    e = estimate_cost(h, "m5.large", "Linux/UNIX", T0 + 22 * 24 * H, 72, az="sa-east-1b")
    assert e.p10_usd <= e.expected_usd <= e.p90_usd


def test_real_advisor_feed_parses(shared_data):
    with gzip.open(shared_data / "spot-advisor-data.json.gz") as fh:
        adv = Advisor.from_feed(json.load(fh))
    entry = adv.lookup("sa-east-1", "Linux/UNIX", "m5.large")
    assert entry is not None and 0 <= entry.band <= 4 and 0 < entry.savings_pct < 100


def test_batch_estimator_reuses_backtests():
    est = Estimator(two_zone_history())
    start = T0 + 25 * 24 * H
    first = est.estimate("m5.large", "Linux/UNIX", start, 24, region="sa-east-1")
    assert len(est._choices) == 2
    again = est.estimate("m5.large", "Linux/UNIX", start, 24, az=first.az)
    assert again == first and len(est._choices) == 2
