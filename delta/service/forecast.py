"""The spot-price predictor behind the ``ForecastCost`` RPC, reading the store's prices."""

from __future__ import annotations

import math
import threading
from datetime import datetime
from pathlib import Path

from delta.pricing import Advisor, Estimator
from delta.pricing.price_store import load_prices, price_count
from delta.service.backends import CostForecast
from delta.store import Store


class StoreForecaster:
    """Forecasts from the price history in the store (``delta prices import|fetch``).

    Histories are loaded per (instance type, product) and kept until the store's price
    count changes, so repeated calls reuse the parsed series and the backtest choices.
    """

    def __init__(self, store_path: str | Path, advisor: Advisor | None = None):
        self._path = Path(store_path)
        self._advisor = advisor
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], tuple[int, Estimator]] = {}

    def _estimator(self, instance_type: str, product: str) -> Estimator:
        with self._lock, Store(self._path) as store:
            count = price_count(store)
            hit = self._cache.get((instance_type, product))
            if hit is None or hit[0] != count:
                history = load_prices(store, instance_types=[instance_type], product=product)
                hit = (count, Estimator(history, advisor=self._advisor))
                self._cache[(instance_type, product)] = hit
            return hit[1]

    def forecast_cost(self, *, instance_type: str, az: str | None, region: str | None,
                      product: str, start: datetime, hours: float) -> CostForecast:
        est = self._estimator(instance_type, product).estimate(
            instance_type, product, start, hours, az=az, region=region)
        return CostForecast(
            expected_usd=est.expected_usd, p10_usd=est.p10_usd, p90_usd=est.p90_usd,
            mean_price=est.mean_price,
            # NaN: no advisor entry for this (region, OS, type), so the risk is unknown.
            p_interrupt=est.p_interrupt if est.p_interrupt is not None else math.nan,
            az=est.az, model=est.model)
