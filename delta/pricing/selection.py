"""Choosing a forecaster per series by rolling-origin backtest on that series' own past.

For a run of ``hours`` priced at ``cutoff``, the backtest replays the same question at
earlier origins whose runs finished by the cutoff and compares each forecaster's cost with
what the run really cost.  The default (the first forecaster) is kept unless another one's
mean absolute percentage error is clearly lower.  Nothing after the cutoff is read.  The
chosen forecaster's errors (log ratios actual / predicted) also give the p10-p90 interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from delta.pricing.cost import billed_seconds, run_cost
from delta.pricing.forecasters.base import HOUR, Forecaster
from delta.pricing.history import Series


@dataclass(frozen=True)
class BacktestPolicy:
    """Where the rolling origins sit and how a challenger must win.

    Attributes
    ----------
    n_origins:
        Origins per backtest (fewer when the series is short).
    spacing_h:
        Hours between origins; not a multiple of 24 so origins visit every hour of day.
    refit_every_h:
        A forecaster's learned state is refitted this often along the origins.
    min_history_h:
        An origin needs at least this much history before it.
    min_gain:
        A forecaster replaces the default only when its mean APE is lower by this fraction;
        with two dozen origins, smaller gains were mostly noise in the sa-east-1 backtest
        (switching on them made the choice worse than the default alone).
    """

    n_origins: int = 24
    spacing_h: float = 23.0
    refit_every_h: float = 168.0
    min_history_h: float = 24.0
    min_gain: float = 0.5


@dataclass(frozen=True)
class Backtest:
    """Predicted and actual run costs of one forecaster at the backtest origins."""

    model: str
    origins: np.ndarray
    predicted: np.ndarray
    actual: np.ndarray

    @property
    def ape(self) -> np.ndarray:
        return np.abs(self.predicted - self.actual) / self.actual

    @property
    def mape(self) -> float:
        return float(self.ape.mean()) if len(self.actual) else float("nan")


@dataclass(frozen=True)
class Choice:
    """The forecaster chosen for one series, horizon and cutoff, with the evidence."""

    forecaster: Forecaster
    backtests: dict[str, Backtest] = field(default_factory=dict)

    @property
    def log_ratios(self) -> np.ndarray:
        """log(actual / predicted) of the chosen forecaster at the backtest origins."""
        bt = self.backtests.get(self.forecaster.name)
        if bt is None or not len(bt.actual):
            return np.zeros(0)
        return np.log(bt.actual / bt.predicted)


def backtest_origins(known: Series, cutoff: float, hours: float,
                     policy: BacktestPolicy) -> np.ndarray:
    """Origins (ascending) whose runs of ``hours`` end at or before ``cutoff``."""
    last = cutoff - billed_seconds(hours * HOUR)
    origins = last - policy.spacing_h * HOUR * np.arange(policy.n_origins)
    return np.sort(origins[origins >= known.start + policy.min_history_h * HOUR])


def backtest(forecaster: Forecaster, known: Series, origins: np.ndarray, hours: float,
             policy: BacktestPolicy) -> Backtest:
    """Replay ``forecaster`` at ``origins``, refitting every ``policy.refit_every_h``."""
    seconds = hours * HOUR
    predicted = np.empty(len(origins))
    actual = np.empty(len(origins))
    state, fitted_at = None, -np.inf
    for i, o in enumerate(origins):
        seen = known.until(o)
        if o - fitted_at >= policy.refit_every_h * HOUR:
            state, fitted_at = forecaster.fit(seen), o
        predicted[i] = run_cost(forecaster.path(seen, o, hours, state), o, seconds)
        actual[i] = run_cost(known, o, seconds)
    return Backtest(forecaster.name, origins, predicted, actual)


def choose(known: Series, cutoff: float, hours: float, forecasters: Sequence[Forecaster],
           policy: BacktestPolicy | None = None) -> Choice:
    """The forecaster with the lowest backtest mean APE; ``forecasters[0]`` is the default.

    ``known`` must hold no record after ``cutoff``.
    """
    policy = policy or BacktestPolicy()
    origins = backtest_origins(known, cutoff, hours, policy)
    if not len(origins):
        return Choice(forecasters[0])
    tests = {f.name: backtest(f, known, origins, hours, policy) for f in forecasters}
    best = forecasters[0]
    bar = tests[best.name].mape * (1.0 - policy.min_gain)
    for f in forecasters[1:]:
        if tests[f.name].mape < bar and tests[f.name].mape < tests[best.name].mape:
            best = f
    return Choice(best, tests)
