"""The forecaster base: a price path from what was known at the origin.

A forecaster sees a series truncated at the origin (no record after it) and returns the
forecast price as a step function from the origin on.  Model state that is costly to learn
comes from :meth:`Forecaster.fit` on the records up to a cutoff at or before the origin, so
a rolling-origin backtest can refit now and then and still never look ahead.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from delta.pricing.history import Series

HOUR = 3600.0


class Forecaster(ABC):
    """One forecasting strategy.

    Subclasses set :attr:`name`, implement :meth:`path`, and override :meth:`fit` when they
    learn something from a series' past.
    """

    name: ClassVar[str]

    def fit(self, known: Series) -> Any:
        """Learn from ``known`` (records up to some cutoff); the default learns nothing."""
        return None

    @abstractmethod
    def path(self, known: Series, origin: float, hours: float, state: Any = None) -> Series:
        """The forecast price path from ``origin`` over at least ``hours`` hours.

        Parameters
        ----------
        known:
            The series with no record after ``origin``.
        origin:
            The forecast's time (Unix seconds).
        hours:
            How far ahead the path must reach.
        state:
            What :meth:`fit` returned for a cutoff at or before ``origin``.
        """
