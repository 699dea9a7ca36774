"""The decision: per-endpoint samples, epochs and placement. Pure, no I/O."""

from tuner.cost import CostEstimate, CostModel, DeclaredPrice
from tuner.plan import Plan, make_plan
from tuner.problem import CandidateSpec, EndpointSpec, Problem, RoundSpec

__all__ = ["CandidateSpec", "CostEstimate", "CostModel", "DeclaredPrice", "EndpointSpec",
           "Plan", "Problem", "RoundSpec", "make_plan"]
