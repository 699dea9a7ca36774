"""The decision: per-endpoint samples, epochs and placement. Pure, no I/O."""

from tuner.plan import Plan, make_plan
from tuner.problem import EndpointSpec, Problem, RoundSpec

__all__ = ["EndpointSpec", "Plan", "Problem", "RoundSpec", "make_plan"]
