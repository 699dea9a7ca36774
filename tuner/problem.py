"""What the tuner plans over: frozen, planner-visible facts only.

An emulated executor's hidden speed and link never appear here; the edge that builds a
:class:`Problem` from a testbed leaves them out, so the planner cannot read them.
"""

from __future__ import annotations

from dataclasses import dataclass

from profiler.hardware import HardwareSpec

#: Balancing policies: which knob gives way on a slow endpoint.
POLICIES = ("epochs-first", "samples-first", "both")


@dataclass(frozen=True, slots=True)
class EndpointSpec:
    """A data site that is also a compute endpoint.

    ``egress_usd_per_gb`` is what moving this site's data out costs (0 for most edge
    sites; a cloud region's egress rate for data that lives in the cloud).  ``held_at``
    names the other hosts that already hold a copy of the data (training it there costs
    no transfer and no egress); ``runs_on`` is where it trains now when not at home (the
    planner keeps it there unless another layout is clearly better).
    """

    id: str
    hardware: HardwareSpec
    samples: int
    bytes: int = 0
    movable: bool = False
    bandwidth_mbps: float = 100.0
    latency_ms: float = 10.0
    price_per_hour: float = 0.0
    egress_usd_per_gb: float = 0.0
    held_at: tuple[str, ...] = ()
    runs_on: str | None = None


@dataclass(frozen=True, slots=True)
class CandidateSpec:
    """A cloud instance that data could move to (data-to-compute).

    ``hardware`` is plain values (vCPUs, clock) resolved at the edge from instance-type
    specs or the testbed; ``price_per_hour`` is the declared price (``None`` when only a
    spot predictor can price it).
    """

    id: str
    instance_type: str
    hardware: HardwareSpec
    region: str = "us-east-1"
    market: str = "spot"
    price_per_hour: float | None = None
    startup_s: float = 60.0
    bandwidth_mbps: float = 1000.0
    latency_ms: float = 20.0


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
    candidates: tuple[CandidateSpec, ...] = ()
    policy: str = "epochs-first"
