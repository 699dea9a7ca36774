"""Time-weighted recent mean: the step function's average over the last window."""

from __future__ import annotations

from typing import Any

import numpy as np

from delta.pricing.forecasters.base import HOUR, Forecaster
from delta.pricing.history import Series


class RecentMean(Forecaster):
    """The time-weighted mean price over the ``window_h`` hours before the origin.

    Each price counts for as long as it was in force, not once per record, so a price
    re-announced every hour does not outweigh one that held all day.
    """

    name = "recent_mean"

    def __init__(self, *, window_h: float = 24.0):
        self.window_h = window_h

    def path(self, known: Series, origin: float, hours: float, state: Any = None) -> Series:
        a = max(known.start, origin - self.window_h * HOUR)
        return Series.hourly(origin, np.array([known.mean(a, origin)]))
