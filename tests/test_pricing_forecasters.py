from __future__ import annotations

import numpy as np
import pytest

from delta.pricing.cost import run_cost
from delta.pricing.forecasters import (DampedTrend, LastValue, LearnedLags, RecentMean,
                                       SeasonalHourOfWeek, default_forecasters)
from delta.pricing.forecasters.base import HOUR
from delta.pricing.history import Series
from delta.pricing.selection import BacktestPolicy, backtest_origins, choose

DAY = 24 * HOUR
T0 = 1_577_836_800.0  # 2020-01-01T00:00Z, a Wednesday


def hourly(prices) -> Series:
    return Series(T0 + HOUR * np.arange(len(prices)), np.asarray(prices, dtype=float))


def weekly_pattern(weeks: int) -> Series:
    # Dear on weekday afternoons, cheap otherwise: a strong hour-of-week profile.
    t = T0 + HOUR * np.arange(weeks * 168)
    hod = (t / HOUR) % 24
    dow = ((t / HOUR + 72) // 24) % 7
    return Series(t, np.where((hod >= 12) & (hod < 18) & (dow < 5), 0.2, 0.1))


def ramp(days: float, start_day: float, rate_per_day: float) -> Series:
    # Flat at 0.1, then a steady climb in 6-hourly steps (how post-2017 prices move).
    t = T0 + 6 * HOUR * np.arange(int(days * 4))
    d = (t - T0) / DAY
    return Series(t, 0.1 * np.exp(rate_per_day * np.clip(d - start_day, 0, None)))


@pytest.mark.parametrize("forecaster", default_forecasters(), ids=lambda f: f.name)
class TestForecasterContract:
    """Every forecaster, through the same checks."""

    def test_flat_series_forecasts_its_price(self, forecaster):
        known = hourly(np.full(30 * 24, 0.25))
        origin = known.end + 1800
        path = forecaster.path(known, origin, 72, forecaster.fit(known))
        assert path.start == origin
        assert run_cost(path, origin, 72 * HOUR) == pytest.approx(0.25 * 72, rel=1e-9)

    def test_path_is_positive_and_covers_the_horizon(self, forecaster):
        known = ramp(40, 30, 0.05)
        path = forecaster.path(known, known.end, 100, forecaster.fit(known))
        assert np.all(path.prices > 0) and np.all(np.isfinite(path.prices))
        assert path.start == known.end
        assert run_cost(path, known.end, 100 * HOUR) > 0

    def test_is_deterministic_and_pure(self, forecaster):
        known = weekly_pattern(5)
        before = (known.times.copy(), known.prices.copy())
        a = forecaster.path(known, known.end, 24, forecaster.fit(known))
        b = forecaster.path(known, known.end, 24, forecaster.fit(known))
        assert np.array_equal(a.prices, b.prices)
        assert np.array_equal(known.times, before[0]) and np.array_equal(known.prices, before[1])


def test_last_value_and_recent_mean():
    known = hourly([1.0] * 12 + [3.0] * 12)
    assert LastValue().path(known, known.end, 5).prices[0] == 3.0
    # Window [2 h, 26 h): ten hours at 1.0, then 3.0 for twelve hours and two more held.
    assert RecentMean(window_h=24).path(known, known.end + 3 * HOUR, 5).prices[0] == \
        pytest.approx((10 * 1.0 + 14 * 3.0) / 24)


def test_seasonal_learns_the_week():
    known = weekly_pattern(4)
    origin = known.end + HOUR  # Wednesday 00:00, cheap hour
    path = SeasonalHourOfWeek(weeks=4).path(known, origin, 24)
    assert path.prices[0] == pytest.approx(0.1)
    assert path.prices[12] == pytest.approx(0.2)  # noon is dear again
    assert run_cost(path, origin, 24 * HOUR) == pytest.approx(0.1 * 18 + 0.2 * 6)


def test_trend_models_follow_a_ramp_and_stay_flat_when_flat():
    known = ramp(40, 35, 0.1)
    last = LastValue().path(known, known.end, 72)
    for f in (DampedTrend(), LearnedLags()):
        up = run_cost(f.path(known, known.end, 72, f.fit(known)), known.end, 72 * HOUR)
        assert up > 1.02 * run_cost(last, known.end, 72 * HOUR), f.name
    d = DampedTrend()
    flat = hourly(np.full(10 * 24, 0.3))
    assert np.allclose(d.path(flat, flat.end, 72).prices, 0.3)


def test_selection_backtests_only_the_past_and_picks_what_works():
    fs = [LastValue(), SeasonalHourOfWeek()]
    weekly = weekly_pattern(6)
    choice = choose(weekly, weekly.end, 24, fs)
    assert choice.forecaster.name == "seasonal_how"
    bt = choice.backtests["seasonal_how"]
    assert np.all(bt.origins + 24 * HOUR <= weekly.end)
    assert bt.mape < 0.01 < choice.backtests["last_value"].mape
    # On a flat series every model ties and the first (the default) is kept.
    flat = hourly(np.full(30 * 24, 0.2))
    assert choose(flat, flat.end, 24, fs).forecaster.name == "last_value"


def test_backtest_origins_need_history():
    short = hourly([0.1] * 10)
    assert len(backtest_origins(short, short.end, 24, BacktestPolicy())) == 0
    assert choose(short, short.end, 24, default_forecasters()).backtests == {}
