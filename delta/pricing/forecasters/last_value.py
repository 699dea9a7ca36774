"""Last value: the price in force at the origin holds on."""

from __future__ import annotations

from typing import Any

import numpy as np

from delta.pricing.forecasters.base import Forecaster
from delta.pricing.history import Series


class LastValue(Forecaster):
    """The persistence forecast; hard to beat at short horizons on post-2017 spot prices."""

    name = "last_value"

    def path(self, known: Series, origin: float, hours: float, state: Any = None) -> Series:
        return Series.hourly(origin, np.array([known.value_at(origin)]))
