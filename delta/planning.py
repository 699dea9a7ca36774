"""From a testbed and observations to a plan: the edge around the pure core.

This is the one place a :class:`~delta.config.Testbed` becomes a
:class:`~tuner.problem.Problem`.  Executor settings (an emulator's hidden speed and link)
are deliberately not carried over, so the planner can only learn them from observations.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from delta.config import Hardware, Testbed
from delta.errors import ObservationError
from delta.instance_types import candidate_hardware
from delta.observations import Observation
from profiler.hardware import HardwareSpec
from profiler.profiles import fit_profiles
from tuner.cost import CostModel
from tuner.plan import Plan, make_plan
from tuner.problem import CandidateSpec, EndpointSpec, Problem, RoundSpec


def hardware_spec(hw: Hardware) -> HardwareSpec:
    return HardwareSpec(cores=hw.cores, clock_ghz=hw.clock_ghz, memory_gb=hw.memory_gb,
                        arch=hw.arch, accelerator=hw.accelerator)


def problem_from_testbed(tb: Testbed,
                         cloud_hardware: Mapping[str, HardwareSpec] | None = None) -> Problem:
    """The planner-visible facts of a testbed (no executor settings).

    ``cloud_hardware`` gives each cloud candidate's hardware (see
    :func:`delta.instance_types.candidate_hardware`); without it, no candidate is offered.
    """
    endpoints = tuple(
        EndpointSpec(id=e.id, hardware=hardware_spec(e.hardware), samples=e.data.samples,
                     bytes=e.data.bytes, movable=e.data.movable,
                     bandwidth_mbps=e.network.bandwidth_mbps, latency_ms=e.network.latency_ms,
                     price_per_hour=e.price_per_hour,
                     egress_usd_per_gb=e.network.egress_usd_per_gb,
                     held_at=tuple(dict.fromkeys([*e.data.copies_at,
                                                  *filter(None, [e.data.runs_on])])),
                     runs_on=e.data.runs_on)
        for e in tb.endpoints
    )
    candidates = tuple(
        CandidateSpec(id=c.id, instance_type=c.instance_type, hardware=cloud_hardware[c.id],
                      region=c.region, market=c.market, price_per_hour=c.price_per_hour,
                      startup_s=c.startup_s, bandwidth_mbps=c.network.bandwidth_mbps,
                      latency_ms=c.network.latency_ms)
        for c in tb.cloud if cloud_hardware is not None
    )
    r = tb.round
    return Problem(
        name=tb.name, endpoints=endpoints,
        round=RoundSpec(samples=r.samples, epochs=r.epochs, batch_size=r.batch_size,
                        min_epochs=r.min_epochs, max_epochs=r.max_epochs, deadline_s=r.deadline_s),
        candidates=candidates, policy=r.policy,
        rounds=tb.rounds, exchange_usd_per_hour=tb.objective.exchange_usd_per_hour,
        budget_usd_per_round=tb.objective.budget_usd_per_round,
        min_participants=tb.objective.min_participants,
    )


def check_known_endpoints(tb: Testbed, observations: Sequence[Observation], source: str | None,
                          where: Sequence[str] | None = None) -> None:
    """Reject observations that name an endpoint the testbed does not have.

    ``where`` names each observation's location for the error (a file's ``line N``);
    without it, ``observations[i]`` (0-based, as in a request's repeated field).
    """
    known = {e.id for e in tb.endpoints} | {c.id for c in tb.cloud}
    for i, o in enumerate(observations):
        if o.endpoint not in known:
            raise ObservationError(
                f"unknown endpoint {o.endpoint!r} (testbed {tb.name!r} has "
                f"{', '.join(sorted(known)[:5])}{', ...' if len(known) > 5 else ''})",
                source=source, field=where[i] if where is not None else f"observations[{i}]",
            )


def plan_testbed(tb: Testbed, observations: Iterable[Observation],
                 deadline_s: float | None = None, *, policy: str | None = None,
                 cost_model: CostModel | None = None, instance_types: Path | None = None,
                 seed: int = 0) -> Plan:
    """Fit profiles from ``observations`` and plan one round of ``tb``.

    Cloud candidates get their hardware from the declaration or the instance-type specs
    (``instance_types``, default :func:`delta.instance_types.instance_types_path`), and a
    runtime profile from their own observations or that hardware's prior.
    """
    problem = problem_from_testbed(tb, candidate_hardware(tb, instance_types))
    if policy is not None:
        problem = replace(problem, policy=policy)
    hardware = {e.id: e.hardware for e in (*problem.endpoints, *problem.candidates)}
    profiles = fit_profiles(observations, hardware)
    return make_plan(problem, profiles, deadline_s=deadline_s, cost_model=cost_model, seed=seed)


def spot_cost_model(tb: Testbed, history_files: Sequence[Path] = (), *,
                    store_path: Path | None = None, advisor_file: Path | None = None,
                    start: str | float | None = None,
                    product: str = "Linux/UNIX") -> tuple[CostModel | None, list[str]]:
    """A cost model that forecasts the testbed's spot candidates, and notes for the plan.

    Prices come from ``history_files`` (``describe_spot_price_history`` JSON), else from
    the store's price table; with neither, or no spot candidate, returns ``(None, [])``
    and the planner uses declared prices.  ``start`` (when the round starts) defaults to
    the newest price record of those types, so a plan made from old history is priced as
    of that history.
    """
    spot = [c for c in tb.cloud if c.market == "spot"]
    if not spot:
        return None, []
    from delta.pricing import Advisor, Estimator, PriceHistory, read_history_files
    from delta.pricing.forecast_price import ForecastPrice
    from delta.pricing.history import read_json_file, to_epoch

    types = sorted({c.instance_type for c in spot})
    if history_files:
        # Only the candidates' types are parsed (as from the store): a region's history
        # is ~400k records, a plan needs a few types.
        history = PriceHistory.from_records(read_history_files(list(history_files),
                                                               instance_types=types))
    elif store_path is not None and store_path.exists():
        from delta.pricing.price_store import load_prices
        from delta.store import Store

        with Store(store_path) as store:
            history = load_prices(store, instance_types=types, product=product)
    else:
        return None, []
    if not len(history):
        return None, []
    t0 = to_epoch(start, field="--price-time") if start is not None else max(
        s.end for s in history.values())
    advisor = (Advisor.from_feed(read_json_file(advisor_file), str(advisor_file))
               if advisor_file else None)
    specs = [CandidateSpec(id=c.id, instance_type=c.instance_type, region=c.region,
                           market=c.market, price_per_hour=c.price_per_hour,
                           hardware=HardwareSpec()) for c in spot]
    return ForecastPrice.from_estimator(Estimator(history, advisor=advisor), specs, t0,
                                        product=product)
