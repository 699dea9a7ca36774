"""Seasonal: an hour-of-week profile of relative price, applied to the price at the origin."""

from __future__ import annotations

from typing import Any

import numpy as np

from delta.pricing.forecasters.base import HOUR, Forecaster
from delta.pricing.history import Series

WEEK_H = 168


def hour_of_week(t: np.ndarray) -> np.ndarray:
    """Hour of the week (0 = Monday 00:00 UTC) for Unix seconds."""
    # 1970-01-01 was a Thursday: shift by three days so Monday is hour 0.
    return ((np.floor(np.asarray(t) / HOUR).astype(np.int64) + 72) % WEEK_H).astype(np.int64)


class SeasonalHourOfWeek(Forecaster):
    """Price at the origin times the profile's ratio between the target and origin hours.

    The profile is the mean over the last ``weeks`` weeks of the hourly price relative to
    its week's mean, so a trend across weeks does not leak into the weekly shape.  With less
    than one full week of history the profile is flat (last value).
    """

    name = "seasonal_how"

    def __init__(self, *, weeks: int = 4):
        self.weeks = weeks

    def fit(self, known: Series) -> np.ndarray:
        n_weeks = min(self.weeks, int((known.end - known.start) // (WEEK_H * HOUR)))
        profile = np.ones(WEEK_H)
        if n_weeks < 1:
            return profile
        # Hour midpoints of the last n_weeks whole weeks before the cutoff.
        t = known.end - (np.arange(n_weeks * WEEK_H)[::-1] + 0.5) * HOUR
        p = known.value_at(t).reshape(n_weeks, WEEK_H)
        rel = p / p.mean(axis=1, keepdims=True)
        how = hour_of_week(t).reshape(n_weeks, WEEK_H)
        sums = np.zeros(WEEK_H)
        np.add.at(sums, how.ravel(), rel.ravel())
        return sums / n_weeks

    def path(self, known: Series, origin: float, hours: float, state: Any = None) -> Series:
        profile = self.fit(known) if state is None else state
        n = max(1, int(np.ceil(hours)))
        t = origin + (np.arange(n) + 0.5) * HOUR
        ratio = profile[hour_of_week(t)] / profile[hour_of_week(np.array([origin]))[0]]
        return Series.hourly(origin, known.value_at(origin) * ratio)
