"""Damped trend: the recent rate of change continues and fades.

Post-2017 spot prices move in ramps (a price climbs or falls in small steps over days, then
holds).  A ramp under way tends to go on: the cumulative log change ``h`` hours ahead is
``s * tau * (1 - exp(-h / tau))`` with ``s`` the log-price slope over the last
``window_h`` hours.  ``tau = 48 h`` matches how long ramps in sa-east-1 history carried on.

A ramp moves in steps, several hours apart; within half a step interval the likeliest
price (the one that minimises absolute error) is still the current one, so the trend
starts after that dead time.  This keeps short runs priced like last value.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from delta.pricing.forecasters.base import HOUR, Forecaster
from delta.pricing.history import Series


def damped_change(slope_per_h: float | np.ndarray, h: np.ndarray, tau_h: float) -> np.ndarray:
    """Cumulative log change ``h`` hours ahead for a slope fading with time constant tau."""
    return np.asarray(slope_per_h)[..., None] * tau_h * (1.0 - np.exp(-np.asarray(h) / tau_h))


class DampedTrend(Forecaster):
    """Extrapolates the last ``window_h`` hours' log-price slope, fading over ``tau_h``."""

    name = "damped_trend"

    def __init__(self, *, window_h: float = 24.0, tau_h: float = 48.0):
        self.window_h = window_h
        self.tau_h = tau_h

    def path(self, known: Series, origin: float, hours: float, state: Any = None) -> Series:
        now = known.value_at(origin)
        since = origin - self.window_h * HOUR
        slope = np.log(now / known.value_at(since)) / self.window_h
        recent = known.prices[np.searchsorted(known.times, since, side="right") - 1:]
        steps = int(np.count_nonzero(np.diff(recent)))
        dead_h = self.window_h / steps / 2.0 if steps else 0.0
        n = max(1, int(np.ceil(hours)))
        ahead = np.maximum(np.arange(n) + 0.5 - dead_h, 0.0)
        change = damped_change(slope, ahead, self.tau_h)
        return Series.hourly(origin, now * np.exp(change))
