"""Round strategies: ``uniform``, ``proportional`` and ``delta``."""

from __future__ import annotations

from delta.errors import ConfigError
from delta.fl.strategies.base import EndpointTask, RoundPlan, Strategy
from delta.fl.strategies.proportional import Proportional
from delta.fl.strategies.tuned import Tuned
from delta.fl.strategies.uniform import Uniform

STRATEGIES = ("uniform", "proportional", "delta")

__all__ = ["STRATEGIES", "EndpointTask", "Proportional", "RoundPlan", "Strategy", "Tuned",
           "Uniform", "make_strategy"]


def make_strategy(name: str, *, calibrate: bool = False, margin: float = 0.5) -> Strategy:
    """A strategy by name."""
    if name == "uniform":
        return Uniform()
    if name == "proportional":
        return Proportional()
    if name == "delta":
        return Tuned(margin=margin, calibrate=calibrate)
    raise ConfigError(f"unknown strategy {name!r} (use {', '.join(STRATEGIES)})",
                      field="--strategy")
