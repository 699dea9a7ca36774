"""Learned: ridge regression of future log-price change on lags and calendar features.

For each anchor horizon ``h`` a linear model predicts ``log p(t + h) - log p(t)`` from the
recent log-price changes (lags) and the hour of the day and week, fitted on an hourly grid
of the series' own past.  Between anchors the prediction is interpolated.  Spot prices
after 2017 move in slow ramps, so recent change is what carries information about the next
days; the calendar terms catch daily or weekly patterns where a market has them.

One series holds few ramps, so the ridge penalty shrinks the weights towards the damped
trend (:mod:`.damped_trend`) rather than towards zero: with little evidence the model is
that trend, and the series' own past moves it away.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from delta.pricing.forecasters.base import HOUR, Forecaster
from delta.pricing.forecasters.damped_trend import damped_change
from delta.pricing.history import Series

LAGS_H = (1, 3, 6, 12, 24, 48, 72, 168)
ANCHORS_H = (1, 3, 6, 12, 24, 48, 72, 120, 168)
#: Predicted log change is clipped to this, so one odd fit cannot price a run at 10x.
MAX_LOG_CHANGE = 0.7


def features(known: Series, t: np.ndarray) -> np.ndarray:
    """Feature rows at times ``t``: lagged log changes, then calendar terms."""
    t = np.asarray(t, dtype=float)
    now = np.log(known.value_at(t))
    cols = [now - np.log(known.value_at(t - lag * HOUR)) for lag in LAGS_H]
    hod = 2 * np.pi * (t / HOUR % 24) / 24
    how = 2 * np.pi * ((t / HOUR + 72) % 168) / 168
    cols += [np.sin(hod), np.cos(hod), np.sin(how), np.cos(how)]
    return np.stack(cols, axis=-1)


class LearnedLags(Forecaster):
    """Ridge regression per anchor horizon on the last ``train_days`` of hourly points.

    ``alpha`` and ``calendar_alpha`` are the ridge penalties (per training row) of the lag
    and calendar weights, towards the damped trend and towards zero respectively.
    """

    name = "learned_lags"

    def __init__(self, *, alpha: float = 10.0, calendar_alpha: float = 10.0,
                 train_days: float = 60.0, min_samples: int = 48, tau_h: float = 48.0):
        self.alpha = alpha
        self.calendar_alpha = calendar_alpha
        self.train_days = train_days
        self.min_samples = min_samples
        self.tau_h = tau_h

    def prior(self) -> np.ndarray:
        """Weights (anchor x feature) of the damped trend on the 24-hour lag."""
        w = np.zeros((len(ANCHORS_H), len(LAGS_H) + 4))
        w[:, LAGS_H.index(24)] = damped_change(1.0 / 24.0, np.array(ANCHORS_H), self.tau_h)
        return w

    def fit(self, known: Series) -> np.ndarray:
        """Coefficients, one row per anchor horizon (``ANCHORS_H``)."""
        span_h = int(min(self.train_days * 24, (known.end - known.start) / HOUR))
        grid = known.end - HOUR * np.arange(span_h, -1, -1)  # hourly, ends at the cutoff
        x_all = features(known, grid)
        logp = np.log(known.value_at(grid))
        coef = self.prior()
        # Penalties per row, so they mean the same at any amount of history.  Both are
        # strong: one series holds few ramps, and on sa-east-1 weights fitted freely to them
        # (or a daily shape fitted to one ramp's timing) priced 72 h runs worse than last
        # value did.  The data moves the model away from the damped trend only when it
        # speaks loudly.
        penalty = np.r_[np.full(len(LAGS_H), self.alpha), np.full(4, self.calendar_alpha)]
        for i, h in enumerate(ANCHORS_H):
            n = len(grid) - h  # rows whose target p(t + h) is known by the cutoff
            if n < self.min_samples:
                continue
            x, y = x_all[:n], logp[h:] - logp[:n] - x_all[:n] @ coef[i]
            # No intercept: a drift seen in the past (one ramp) says nothing about the next.
            a = x.T @ x + n * np.diag(penalty)
            coef[i] += np.linalg.solve(a, x.T @ y)
        return coef

    def path(self, known: Series, origin: float, hours: float, state: Any = None) -> Series:
        coef = self.fit(known) if state is None else state
        x0 = features(known, np.array([origin]))[0]
        change = np.clip(coef @ x0, -MAX_LOG_CHANGE, MAX_LOG_CHANGE)
        n = max(1, int(np.ceil(hours)))
        mid = np.arange(n) + 0.5
        at = np.interp(mid, (0.0, *ANCHORS_H), (0.0, *change))
        return Series.hourly(origin, known.value_at(origin) * np.exp(at))
