"""Last value: the price in force at the origin holds on."""

from __future__ import annotations

from typing import Any

import numpy as np

from delta.pricing.forecasters.base import Forecaster, hourly_path
from delta.pricing.history import Series


class LastValue(Forecaster):
    """The persistence forecast; hard to beat at short horizons on post-2017 spot prices."""

    name = "last_value"

    def path(self, known: Series, origin: float, hours: float, state: Any = None) -> Series:
        return hourly_path(origin, np.array([known.value_at(origin)]))
