from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from delta.errors import PriceError
from delta.pricing.cost import billed_seconds, run_cost
from delta.pricing.history import (PriceHistory, PriceRecord, Series, SeriesKey, parse_history,
                                   read_history_files, region_of, to_epoch)

H = 3600.0
KEY = SeriesKey("m5.large", "sa-east-1a", "Linux/UNIX")


def api(itype="m5.large", az="sa-east-1a", product="Linux/UNIX", price="0.040000",
        ts="2020-01-01T00:00:00+00:00"):
    return {"InstanceType": itype, "AvailabilityZone": az, "ProductDescription": product,
            "SpotPrice": price, "Timestamp": ts}


def test_step_integral_is_exact_across_steps():
    # 1.0 $/h for 2 h, then 3.0 $/h for 1 h, then 2.0 $/h onwards.
    s = Series(np.array([0.0, 2 * H, 3 * H]), np.array([1.0, 3.0, 2.0]))
    assert s.integral(0, 2 * H) == pytest.approx(2.0, abs=1e-12)
    assert s.integral(H, 2.5 * H) == pytest.approx(1.0 + 1.5, abs=1e-12)
    assert s.integral(1.5 * H, 5 * H) == pytest.approx(0.5 + 3.0 + 4.0, abs=1e-12)
    assert s.integral(4 * H, 4 * H + 90) == pytest.approx(2.0 * 90 / H, abs=1e-12)
    assert s.mean(0, 3 * H) == pytest.approx(5.0 / 3.0)
    # The price holds until the next record, not until the midpoint.
    assert float(s.value_at(2 * H - 1)) == 1.0 and float(s.value_at(2 * H)) == 3.0


def test_until_keeps_only_records_at_or_before():
    s = Series(np.array([0.0, 10.0, 20.0]), np.array([1.0, 2.0, 3.0]))
    assert len(s.until(10.0)) == 2 and len(s.until(19.9)) == 2 and len(s.until(99)) == 3
    with pytest.raises(PriceError, match="no price record"):
        s.until(-1.0)


def test_billing_minimum_and_per_second_rounding():
    assert billed_seconds(0) == 60 and billed_seconds(59.2) == 60
    assert billed_seconds(60) == 60 and billed_seconds(60.2) == 61
    assert billed_seconds(3600) == 3600
    flat = Series(np.array([0.0]), np.array([3.6]))  # $0.001 per second
    assert run_cost(flat, 100.0, 10.0) == pytest.approx(0.060)
    assert run_cost(flat, 100.0, 90.5) == pytest.approx(0.091)
    with pytest.raises(PriceError):
        billed_seconds(-1)


def test_history_deduplicates_and_sorts():
    recs = parse_history({"SpotPriceHistory": [
        api(ts="2020-01-02T00:00:00Z", price="0.05"), api(), api(),
        api(az="sa-east-1c", price="0.03"), api(price="0.000000", ts="2020-01-03T00:00:00Z")]})
    assert len(recs) == 4  # the zero-price glitch is skipped
    h = PriceHistory.from_records(recs)
    assert len(h) == 2
    s = h[KEY]
    assert list(s.prices) == [0.04, 0.05]
    assert s.start == to_epoch("2020-01-01T00:00:00Z")
    assert h.matching("m5.large", "Linux/UNIX", region="sa-east-1") == sorted(h)
    assert region_of("sa-east-1c") == "sa-east-1"
    # Round trip through the API shape.
    again = PriceHistory.from_records(parse_history(
        {"SpotPriceHistory": [r.to_api() for r in h.records()]}))
    assert list(again[KEY].prices) == list(s.prices)


def test_unknown_type_product_and_zone_are_named():
    h = PriceHistory.from_records([PriceRecord(KEY, 0.0, 1.0)])
    with pytest.raises(PriceError, match="did you mean m5.large"):
        h.matching("m5.lrge", "Linux/UNIX")
    with pytest.raises(PriceError, match="product 'Windows'"):
        h.matching("m5.large", "Windows")
    with pytest.raises(PriceError, match="zone 'sa-east-1b'"):
        h.matching("m5.large", "Linux/UNIX", az="sa-east-1b")


@pytest.mark.parametrize("obj, match", [
    ([], "SpotPriceHistory"),
    ({"SpotPriceHistory": [{"InstanceType": "x"}]}, "missing 'AvailabilityZone'"),
    ({"SpotPriceHistory": [api(price="cheap")]}, "positive number"),
    ({"SpotPriceHistory": [api(price="-1")]}, "positive number"),
    ({"SpotPriceHistory": [api(ts="yesterday")]}, "ISO-8601"),
])
def test_malformed_history_is_one_clear_error(obj, match):
    with pytest.raises(PriceError, match=match) as exc:
        parse_history(obj, source="f.json")
    assert str(exc.value).startswith("f.json")


def test_reads_plain_and_gzip_files(tmp_path):
    doc = {"SpotPriceHistory": [api(), api(ts="2020-01-01T05:00:00Z", price="0.041")]}
    (tmp_path / "a.json").write_text(json.dumps(doc))
    (tmp_path / "b.json.gz").write_bytes(gzip.compress(json.dumps(doc).encode()))
    assert len(read_history_files([tmp_path / "a.json", tmp_path / "b.json.gz"])) == 4
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(PriceError, match="not JSON"):
        read_history_files([tmp_path / "bad.json"])
    with pytest.raises(PriceError, match="no such file"):
        read_history_files([tmp_path / "missing.json"])


def test_real_history_file_loads(shared_data):
    files = sorted((shared_data / "spot").glob("sa-east-1_*.json.gz"))
    h = PriceHistory.from_records(read_history_files(files[-1:]))
    assert len(h) > 1000
    assert all(k.region == "sa-east-1" for k in h)
