"""Interruption risk from the spot advisor's bands, and the cost of lost work.

The advisor gives, per (region, OS, instance type), a band of how often spot capacity was
reclaimed in the past month (``<5%``, ``5-10%``, ..., ``>20%``) and the saving against the
on-demand price.  A band becomes a constant per-hour hazard; interruptions are then a
Poisson process, and the lost work depends on the checkpoint interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from delta.errors import PriceError

#: Monthly interruption frequency assumed for each advisor band: the band's midpoint, and
#: 25% for the open-ended ">20%" band.
BAND_MONTHLY_FREQUENCY = (0.025, 0.075, 0.125, 0.175, 0.25)
HOURS_PER_MONTH = 730.0


def os_of(product: str) -> str:
    """The advisor's OS for a product description (``Windows`` or ``Linux``)."""
    return "Windows" if "windows" in product.lower() else "Linux"


@dataclass(frozen=True, slots=True)
class AdvisorEntry:
    """Savings vs on-demand (percent) and interruption band (index) for one instance type."""

    savings_pct: float
    band: int

    @property
    def hazard_per_h(self) -> float:
        f = BAND_MONTHLY_FREQUENCY[self.band]
        return -math.log1p(-f) / HOURS_PER_MONTH

    def on_demand_price(self, spot_price: float) -> float | None:
        """The on-demand price the savings figure implies for ``spot_price``."""
        if not 0 <= self.savings_pct < 100:
            return None
        return spot_price / (1.0 - self.savings_pct / 100.0)


class Advisor:
    """The spot advisor feed, looked up by (region, product, instance type)."""

    def __init__(self, entries: dict[tuple[str, str, str], AdvisorEntry]):
        self._entries = entries

    @classmethod
    def from_feed(cls, obj: Any, source: str = "advisor") -> Advisor:
        """Parse the advisor JSON (``{"spot_advisor": {region: {os: {type: {s, r}}}}}``)."""
        feed = obj.get("spot_advisor") if isinstance(obj, dict) else None
        if not isinstance(feed, dict):
            raise PriceError("expected an object with a 'spot_advisor' map", source=source)
        entries = {}
        for region, by_os in feed.items():
            for os_name, by_type in (by_os or {}).items():
                for itype, e in (by_type or {}).items():
                    where = f"spot_advisor.{region}.{os_name}.{itype}"
                    try:
                        s, r = float(e["s"]), int(e["r"])
                    except (TypeError, KeyError, ValueError):
                        raise PriceError("needs numeric 's' and 'r'", source=source,
                                         field=where) from None
                    if not 0 <= r < len(BAND_MONTHLY_FREQUENCY):
                        raise PriceError(f"band 'r' must be 0..4, got {r}", source=source,
                                         field=where)
                    entries[(region, os_name, itype)] = AdvisorEntry(s, r)
        return cls(entries)

    def lookup(self, region: str, product: str, instance_type: str) -> AdvisorEntry | None:
        return self._entries.get((region, os_of(product), instance_type))


def p_interrupt(hazard_per_h: float, hours: float) -> float:
    """Probability of at least one interruption within ``hours``."""
    return -math.expm1(-hazard_per_h * hours)


def expected_loss_usd(hazard_per_h: float, hours: float, price_per_h: float,
                      checkpoint_s: float | None = None) -> float:
    """Expected extra spend on work lost to interruptions and run again.

    With checkpoints every ``checkpoint_s`` seconds, each interruption (``hazard * hours``
    of them on average) loses half an interval.  Without checkpoints an interruption at
    ``T < hours`` loses ``T`` and the run starts over, so the expected number of restarts
    is ``p / (1 - p)`` and each loses ``E[T | T < hours]``.
    """
    if hazard_per_h <= 0 or hours <= 0:
        return 0.0
    if checkpoint_s is not None:
        lost_h = min(checkpoint_s / 3600.0, hours) / 2.0
        return hazard_per_h * hours * lost_h * price_per_h
    lh = hazard_per_h * hours
    p = -math.expm1(-lh)
    lost_h = 1.0 / hazard_per_h - hours * math.exp(-lh) / p  # E[T | T < hours]
    return p / (1.0 - p) * lost_h * price_per_h
