"""What a run costs under EC2 per-second billing.

Spot instances are billed per second at the price in force each second, with a minimum of
60 seconds per run.  The cost of a run is the exact integral of the price step function
over the billed span.
"""

from __future__ import annotations

import math

from delta.errors import PriceError
from delta.pricing.history import Series

#: EC2 bills at least this many seconds per instance run.
MINIMUM_BILLED_S = 60


def billed_seconds(seconds: float) -> int:
    """Seconds billed for a run of ``seconds``: whole seconds rounded up, at least 60."""
    if not math.isfinite(seconds) or seconds < 0:
        raise PriceError(f"run length must be a non-negative number of seconds, got {seconds!r}",
                         field="hours")
    return max(MINIMUM_BILLED_S, math.ceil(seconds - 1e-9))


def run_cost(path: Series, start: float, seconds: float) -> float:
    """USD for a run of ``seconds`` from ``start`` when the price follows ``path`` (USD/h)."""
    billed = billed_seconds(seconds)
    return float(path.integral(start, start + billed))
