"""Round strategies: ``uniform``, ``proportional`` and ``delta``.

Each lives in its own module, imported when chosen (``delta`` pulls in the profiler and
scikit-learn), so bad input is reported before anything heavy loads.
"""

from __future__ import annotations

from delta.errors import ConfigError

STRATEGIES = ("uniform", "proportional", "delta")

__all__ = ["STRATEGIES", "make_strategy"]


def make_strategy(name: str, *, calibrate: bool = False, margin: float = 0.5,
                  planner=None):
    """A :class:`~delta.fl.strategies.base.Strategy` by name.

    Raises
    ------
    ConfigError
        An unknown name, or a ``planner`` (a shared service) for a strategy other than
        ``delta``.
    """
    if planner is not None and name != "delta":
        raise ConfigError(f"planning on a server needs --strategy delta, not {name!r}",
                          field="--server")
    if name == "uniform":
        from delta.fl.strategies.uniform import Uniform

        return Uniform()
    if name == "proportional":
        from delta.fl.strategies.proportional import Proportional

        return Proportional()
    if name == "delta":
        from delta.fl.strategies.tuned import Tuned

        if planner is None:
            return Tuned(margin=margin, calibrate=calibrate)
        return Tuned(margin=margin, calibrate=calibrate, planner=planner)
    raise ConfigError(f"unknown strategy {name!r} (use {', '.join(STRATEGIES)})",
                      field="--strategy")
