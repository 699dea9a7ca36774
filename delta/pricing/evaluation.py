"""Rolling-origin evaluation of the forecasters against what runs really cost.

At each origin every forecaster, and the per-series choice, prices a run from what was
known at the origin; the real cost comes from the full history.  Used by
``delta prices backtest`` and ``bench/spot_forecast.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from delta.pricing.cost import run_cost
from delta.pricing.estimate import Estimator, interval
from delta.pricing.forecasters.base import HOUR
from delta.pricing.history import SeriesKey

CHOSEN = "chosen"


@dataclass(frozen=True)
class Case:
    """One (series, origin, run length): the real cost, each model's and the interval."""

    key: SeriesKey
    origin: float
    hours: float
    actual: float
    predicted: dict[str, float]
    chosen: str
    p10: float
    p90: float

    @property
    def covered(self) -> bool:
        return self.p10 * (1 - 1e-9) <= self.actual <= self.p90 * (1 + 1e-9)


def evaluate(estimator: Estimator, keys: Iterable[SeriesKey], origins: Sequence[float],
             horizons: Sequence[float], *, min_history_h: float = 168.0,
             progress: Callable[[], None] | None = None) -> list[Case]:
    """Cases for every series, origin (with enough history before it) and horizon."""
    cases = []
    for key in keys:
        full = estimator.history[key]
        for o in origins:
            if o < full.start + min_history_h * HOUR or o + max(horizons) * HOUR > full.end:
                continue
            known = full.until(o)
            for h in horizons:
                preds = {f.name: run_cost(f.path(known, o, h, f.fit(known)), o, h * HOUR)
                         for f in estimator.forecasters}
                ch = estimator.choice(key, o, h)
                preds[CHOSEN] = preds[ch.forecaster.name]
                lo, hi = interval(preds[CHOSEN], ch.log_ratios)
                cases.append(Case(key, float(o), float(h), run_cost(full, o, h * HOUR), preds,
                                  ch.forecaster.name, lo, hi))
        if progress is not None:
            progress()
    return cases


@dataclass(frozen=True)
class Row:
    """Errors of one model at one horizon."""

    model: str
    hours: float
    mean_ape: float
    median_ape: float
    coverage: float | None
    cases: int


def summarize(cases: Sequence[Case]) -> list[Row]:
    """Mean and median APE per model and horizon; interval coverage for the choice."""
    rows = []
    for h in sorted({c.hours for c in cases}):
        at = [c for c in cases if c.hours == h]
        for model in at[0].predicted:
            ape = np.array([abs(c.predicted[model] - c.actual) / c.actual for c in at])
            cover = float(np.mean([c.covered for c in at])) if model == CHOSEN else None
            rows.append(Row(model, h, float(ape.mean()), float(np.median(ape)), cover, len(at)))
    return rows
