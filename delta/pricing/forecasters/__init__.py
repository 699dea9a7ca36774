"""Price forecasters, one strategy per module behind :class:`Forecaster`."""

from __future__ import annotations

from delta.pricing.forecasters.base import Forecaster
from delta.pricing.forecasters.damped_trend import DampedTrend
from delta.pricing.forecasters.last_value import LastValue
from delta.pricing.forecasters.learned import LearnedLags
from delta.pricing.forecasters.recent_mean import RecentMean
from delta.pricing.forecasters.seasonal import SeasonalHourOfWeek


def default_forecasters() -> list[Forecaster]:
    """The candidates a series chooses from; the first is the default (it wins ties)."""
    return [DampedTrend(), LastValue(), RecentMean(), SeasonalHourOfWeek(), LearnedLags()]


__all__ = ["DampedTrend", "Forecaster", "LastValue", "LearnedLags", "RecentMean",
           "SeasonalHourOfWeek", "default_forecasters"]
