"""What the tuner plans over: frozen, planner-visible facts only.

An emulated executor's hidden speed and link never appear here; the edge that builds a
:class:`Problem` from a testbed leaves them out, so the planner cannot read them.
"""

from __future__ import annotations

from dataclasses import dataclass

from profiler.hardware import HardwareSpec


@dataclass(frozen=True, slots=True)
class EndpointSpec:
    id: str
    hardware: HardwareSpec
    samples: int
    bytes: int = 0
    movable: bool = False
    bandwidth_mbps: float = 100.0
    latency_ms: float = 10.0
    price_per_hour: float = 0.0


@dataclass(frozen=True, slots=True)
class RoundSpec:
    samples: int = 1000
    epochs: int = 10
    batch_size: int = 32
    min_epochs: int = 1
    max_epochs: int | None = None
    deadline_s: float | None = None


@dataclass(frozen=True, slots=True)
class Problem:
    name: str
    endpoints: tuple[EndpointSpec, ...]
    round: RoundSpec = RoundSpec()
    rounds: int = 20
    exchange_usd_per_hour: float = 10.0
    budget_usd_per_round: float | None = None
    min_participants: int = 1
