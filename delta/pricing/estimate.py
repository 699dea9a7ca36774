"""The entry point: expected cost, interval, zone and interruption risk of one spot run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np

from delta.errors import PriceError
from delta.pricing.cost import billed_seconds, run_cost
from delta.pricing.forecasters import Forecaster, default_forecasters
from delta.pricing.forecasters.base import HOUR
from delta.pricing.history import PriceHistory, SeriesKey, region_of, to_epoch, to_iso
from delta.pricing.risk import Advisor, expected_loss_usd, p_interrupt
from delta.pricing.selection import BacktestPolicy, Choice, choose


@dataclass(frozen=True)
class CostEstimate:
    """What a spot run is expected to cost, and how sure that is.

    Attributes
    ----------
    expected_usd, p10_usd, p90_usd:
        Forecast cost of the billed run and its 10th-90th percentile interval.
    mean_price:
        Forecast time-weighted mean price over the run (USD per hour).
    p_interrupt, hazard_per_h, expected_loss_usd:
        Interruption probability within the run, the hazard it comes from, and the expected
        extra spend on lost work; ``None`` when the advisor does not know the type.
    az, model:
        The zone priced (the cheapest when a region was asked) and the forecaster used.
    on_demand_price:
        The on-demand price implied by the advisor's savings figure, when known.
    """

    instance_type: str
    product: str
    az: str
    start: str
    hours: float
    billed_s: int
    expected_usd: float
    p10_usd: float
    p90_usd: float
    mean_price: float
    last_price: float
    model: str
    p_interrupt: float | None = None
    hazard_per_h: float | None = None
    expected_loss_usd: float | None = None
    on_demand_price: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _positive(x: object) -> bool:
    return (isinstance(x, (int, float)) and not isinstance(x, bool) and bool(np.isfinite(x))
            and x > 0)


def interval(expected: float, log_ratios: np.ndarray) -> tuple[float, float]:
    """p10 and p90 from backtest errors (log actual/predicted); always brackets ``expected``."""
    if not len(log_ratios):
        return expected, expected
    lo, hi = np.quantile(log_ratios, [0.1, 0.9])
    return expected * float(np.exp(min(lo, 0.0))), expected * float(np.exp(max(hi, 0.0)))


class Estimator:
    """Prices runs against one history; remembers choices so a batch reuses backtests."""

    def __init__(self, history: PriceHistory, *, advisor: Advisor | None = None,
                 forecasters: Sequence[Forecaster] | None = None,
                 policy: BacktestPolicy | None = None):
        self.history = history
        self.advisor = advisor
        self.forecasters = list(forecasters or default_forecasters())
        self.policy = policy or BacktestPolicy()
        self._choices: dict[tuple[SeriesKey, float, float], Choice] = {}

    def choice(self, key: SeriesKey, start: float, hours: float) -> Choice:
        """The forecaster for ``key`` at ``start`` for runs of ``hours`` (cached)."""
        memo = (key, start, hours)
        if memo not in self._choices:
            known = self.history[key].until(start)
            self._choices[memo] = choose(known, start, hours, self.forecasters, self.policy)
        return self._choices[memo]

    def _zone(self, key: SeriesKey, start: float, hours: float) -> CostEstimate:
        known = self.history[key].until(start)
        ch = self.choice(key, start, hours)
        path = ch.forecaster.path(known, start, hours, ch.forecaster.fit(known))
        billed = billed_seconds(hours * HOUR)
        expected = run_cost(path, start, hours * HOUR)
        lo, hi = interval(expected, ch.log_ratios)
        return CostEstimate(instance_type=key.instance_type, product=key.product, az=key.az,
                            start=to_iso(start), hours=hours, billed_s=billed,
                            expected_usd=expected, p10_usd=lo, p90_usd=hi,
                            mean_price=expected * HOUR / billed,
                            last_price=float(known.value_at(start)), model=ch.forecaster.name)

    def estimate(self, instance_type: str, product: str, start: datetime | str | float,
                 hours: float, *, az: str | None = None, region: str | None = None,
                 checkpoint_s: float | None = None) -> CostEstimate:
        """Price one run; see :func:`estimate_cost`."""
        if not _positive(hours):
            raise PriceError(f"must be a positive number of hours, got {hours!r}", field="hours")
        if checkpoint_s is not None and not _positive(checkpoint_s):
            raise PriceError(f"must be a positive number of seconds, got {checkpoint_s!r}",
                             field="checkpoint_s")
        t0 = to_epoch(start)
        keys = self.history.matching(instance_type, product, az=az, region=region)
        zones = [k for k in keys if self.history[k].start <= t0]
        if not zones:
            raise PriceError(f"no {instance_type} {product} price known at or before "
                             f"{to_iso(t0)}", field="start")
        # min() keeps the first of equals and keys are sorted, so ties go to the first zone
        # in name order and answers are reproducible.
        best = min((self._zone(k, t0, float(hours)) for k in zones),
                   key=lambda e: e.expected_usd)
        entry = (self.advisor.lookup(region_of(best.az), product, instance_type)
                 if self.advisor else None)
        if entry is None:
            return best
        lam = entry.hazard_per_h
        return replace(best, p_interrupt=p_interrupt(lam, hours), hazard_per_h=lam,
                       expected_loss_usd=expected_loss_usd(lam, hours, best.mean_price,
                                                           checkpoint_s),
                       on_demand_price=entry.on_demand_price(best.last_price))


def estimate_cost(history: PriceHistory, instance_type: str, product: str,
                  start: datetime | str | float, hours: float, az: str | None = None,
                  region: str | None = None, checkpoint_s: float | None = None, *,
                  advisor: Advisor | None = None) -> CostEstimate:
    """Expected cost of running ``instance_type`` for ``hours`` from ``start`` on spot.

    Only records at or before ``start`` are used, however far ``history`` runs.  The
    forecaster is chosen per zone by a rolling-origin backtest on that zone's past; the
    cost integrates the forecast price step function over the billed seconds (per-second,
    60 s minimum).  With ``az`` that zone is priced; otherwise the cheapest zone in
    ``region`` (or in the whole history when neither is given).

    Parameters
    ----------
    history:
        Price series, e.g. ``PriceHistory.from_records(read_history_files(paths))``.
    instance_type, product:
        E.g. ``"m5.large"`` and ``"Linux/UNIX"``.
    start:
        When the run starts (datetime, ISO-8601 or Unix seconds; naive means UTC).
    hours:
        Run length, > 0.
    az, region:
        Zone to price, or region whose cheapest zone to pick.
    checkpoint_s:
        Checkpoint interval for the lost-work estimate; ``None`` means no checkpoints.
    advisor:
        Spot advisor feed for interruption risk and on-demand price.

    Raises
    ------
    PriceError
        Unknown instance type, product, zone or region; no price at or before ``start``;
        non-positive hours.
    """
    return Estimator(history, advisor=advisor).estimate(
        instance_type, product, start, hours, az=az, region=region, checkpoint_s=checkpoint_s)
