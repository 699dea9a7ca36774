"""The service's real backends: the spot-price predictor over the store's prices."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from delta.client import DeltaClient, ServiceError
from delta.pricing import PriceRecord, SeriesKey
from delta.pricing.history import to_epoch
from delta.pricing.price_store import add_prices
from delta.service.forecast import StoreForecaster
from delta.store import Store
from tests.service_fixtures import serving

START = datetime(2020, 5, 15, tzinfo=UTC)


def test_forecast_cost_from_stored_prices(tmp_path):
    db = tmp_path / "svc.sqlite3"
    with Store(db) as store:
        t0 = to_epoch("2020-05-01T00:00:00Z")
        add_prices(store, [PriceRecord(SeriesKey("c5.large", f"sa-east-1{z}", "Linux/UNIX"),
                                       t0 + h * 3600.0, price)
                           for h in range(24 * 20) for z, price in (("a", 0.05), ("b", 0.04))])
    with serving(db, forecaster=StoreForecaster(db)) as srv, \
            DeltaClient(f"127.0.0.1:{srv.port}") as client:
        f = client.forecast("c5.large", 3.0, region="sa-east-1",
                            start=START)
        # A flat history forecasts flat: 3 billed hours at the cheaper zone's price.
        assert f.az == "sa-east-1b"
        assert f.expected_usd == pytest.approx(0.12, rel=1e-6)
        assert f.p10_usd <= f.expected_usd <= f.p90_usd
        with pytest.raises(ServiceError) as err:
            client.forecast("c5.lage", 3.0, region="sa-east-1", start=START)
        assert err.value.code == "INVALID_ARGUMENT" and "c5.lage" in str(err.value)


def test_suggest_experiments_with_the_profiler(tmp_path):
    from delta._proto import delta_pb2 as pb
    from delta.service.design import ProfilerDesigner
    from tests.service_fixtures import stub

    obs = [pb.Observation(endpoint="a", samples=s, epochs=e, batch_size=32,
                          seconds=0.5 + 2e-3 * s * e)
           for s, e in [(100, 1), (100, 2), (200, 1)]]
    grid = [(s, e) for s in (100, 400, 1600) for e in (1, 4, 16)]
    cands = [pb.Candidate(endpoint=ep, samples=s, epochs=e, batch_size=32)
             for ep in ("a", "new") for s, e in grid]
    with serving(tmp_path / "svc.sqlite3", designer=ProfilerDesigner()) as srv, \
            stub(srv.port) as s:
        reply = s.SuggestExperiments(
            pb.SuggestExperimentsRequest(observations=obs, candidates=cands, n=4), timeout=60)
    assert len(reply.indices) == 4 and len(set(reply.indices)) == 4
    chosen = {(c.endpoint, c.samples, c.epochs) for c in reply.chosen}
    # The never-measured endpoint needs calibrating most; the picks are not one point.
    assert any(ep == "new" for ep, _, _ in chosen)
    assert len({(s_, e) for _, s_, e in chosen}) > 1
