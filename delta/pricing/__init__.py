"""Spot prices: history, forecasts, expected cost and interruption risk.

The model code here is pure (no files, network or clocks); reading files is in
:func:`read_history_files`, fetching from EC2 in :mod:`delta.pricing.ingest` (boto3, loaded
only there) and keeping prices in :mod:`delta.pricing.price_store`.
"""

from __future__ import annotations

from delta.pricing.estimate import CostEstimate, Estimator, estimate_cost
from delta.pricing.history import (PriceHistory, PriceRecord, Series, SeriesKey, parse_history,
                                   read_history_files)
from delta.pricing.risk import Advisor

__all__ = ["Advisor", "CostEstimate", "Estimator", "PriceHistory", "PriceRecord", "Series",
           "SeriesKey", "estimate_cost", "parse_history", "read_history_files"]
