"""A round plan: per-endpoint samples and epochs, with predictions and reasons.

The JSON form (:meth:`Plan.to_dict`) is a public contract, documented in
``docs/contracts.md``; later versions add fields and never remove them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from delta.errors import InfeasibleError
from profiler.base import Quantiles, RuntimeProfile
from tuner.balance import balance_work, fill_slack, fit_deadline
from tuner.problem import Problem

PLAN_VERSION = 1


@dataclass(frozen=True)
class Assignment:
    endpoint: str
    runs_on: str
    samples: int
    epochs: int
    batch_size: int
    predicted_seconds: Quantiles
    predicted_usd: float
    reason: str
    profile: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint, "runs_on": self.runs_on, "samples": self.samples,
            "epochs": self.epochs, "batch_size": self.batch_size,
            "predicted_seconds": self.predicted_seconds.to_dict(),
            "predicted_usd": round(self.predicted_usd, 6), "reason": self.reason,
            "profile": self.profile,
        }


@dataclass(frozen=True)
class Totals:
    makespan_s: float
    usd: float
    sample_epochs: int

    def to_dict(self) -> dict[str, Any]:
        return {"makespan_s": round(self.makespan_s, 4), "usd": round(self.usd, 6),
                "sample_epochs": self.sample_epochs}


@dataclass(frozen=True)
class Plan:
    testbed: str
    mode: str
    assignments: tuple[Assignment, ...]
    round: Totals
    baseline: Totals
    moves: tuple[dict[str, Any], ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def speedup(self) -> float:
        return self.baseline.makespan_s / self.round.makespan_s if self.round.makespan_s else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": PLAN_VERSION, "testbed": self.testbed, "mode": self.mode,
            "assignments": [a.to_dict() for a in self.assignments],
            "moves": list(self.moves),
            "round": self.round.to_dict(),
            "baseline": {"name": "uniform", **self.baseline.to_dict()},
            "speedup": round(self.speedup, 4),
            "notes": list(self.notes),
        }


def _usd(price_per_hour: float, seconds: float) -> float:
    return price_per_hour * seconds / 3600.0


def make_plan(problem: Problem, profiles: Mapping[str, RuntimeProfile],
              deadline_s: float | None = None) -> Plan:
    """Plan one round.

    Work mode (no deadline): keep each endpoint's samples, cut epochs on slow endpoints
    (never below ``min_epochs``), give fast endpoints more, so that the round does at
    least the uniform baseline's sample-epochs in the least makespan.  Deadline mode:
    the most sample-epochs whose p90 fits the deadline; an endpoint that cannot fit
    ``min_epochs`` has its samples cut, and is dropped only if even one sample won't fit.

    Raises
    ------
    InfeasibleError
        When fewer than ``min_participants`` endpoints can take part.
    """
    r = problem.round
    deadline = deadline_s if deadline_s is not None else r.deadline_s
    eps = [e for e in problem.endpoints if e.samples > 0]
    notes: list[str] = []
    if len(eps) < len(problem.endpoints):
        notes.append(f"{len(problem.endpoints) - len(eps)} endpoint(s) hold no data and sit out")
    if not eps:
        raise InfeasibleError("no endpoint holds any data", field="endpoints")
    samples = np.array([min(r.samples, e.samples) for e in eps], dtype=np.int64)
    prof = [profiles[e.id] for e in eps]
    cost = np.array([p.epoch_cost(int(s), r.batch_size) for p, s in zip(prof, samples)])
    overhead, epoch_s = cost[:, 0], cost[:, 1]
    max_e = float(r.max_epochs) if r.max_epochs is not None else math.inf

    base_pred = [p.predict(int(s), r.epochs, r.batch_size) for p, s in zip(prof, samples)]
    baseline = Totals(
        makespan_s=max(q.p50 for q in base_pred),
        usd=sum(_usd(e.price_per_hour, q.p50) for e, q in zip(eps, base_pred)),
        sample_epochs=int(np.sum(samples) * r.epochs),
    )

    if deadline is None:
        mode = "work"
        epochs = balance_work(overhead, epoch_s, samples.astype(float),
                              float(np.sum(samples) * r.epochs), r.min_epochs, max_e)
    else:
        mode = "deadline"
        # Fit the p90, not the median: a deadline is a constraint, not a target.
        # The p90/p50 ratio grows where a profile extrapolates; small tasks are the extreme.
        small = [p.predict(1, r.min_epochs, r.batch_size) for p in prof]
        widen = np.array([max(q.p90 / q.p50 if q.p50 > 0 else 1.0,
                              m.p90 / m.p50 if m.p50 > 0 else 1.0)
                          for q, m in zip(base_pred, small)])
        per_sample = epoch_s * widen / samples
        epochs = fit_deadline(overhead * widen, epoch_s * widen, deadline, r.min_epochs, max_e)
        for i in np.flatnonzero(epochs == 0):
            fit = math.floor((deadline - overhead[i] * widen[i]) / (per_sample[i] * r.min_epochs))
            if fit >= 1:
                samples[i], epochs[i] = min(fit, samples[i]), r.min_epochs
        samples, epochs = fill_slack(overhead * widen, per_sample * samples, samples, epochs,
                                     deadline, max_e)
    if deadline is None:
        makespan = float(np.max(overhead + epoch_s * epochs))
        samples, epochs = fill_slack(overhead, epoch_s, samples, epochs, makespan, max_e)

    assignments = []
    for i, (e, p) in enumerate(zip(eps, prof)):
        s, n = int(samples[i]), int(epochs[i])
        if n == 0:
            continue
        q = p.predict(s, n, r.batch_size)
        assignments.append(Assignment(
            endpoint=e.id, runs_on=e.id, samples=s, epochs=n, batch_size=r.batch_size,
            predicted_seconds=q, predicted_usd=_usd(e.price_per_hour, q.p50),
            reason=_reason(e.samples, r, s, n, base_pred[i], q, p.source), profile=p.source,
        ))
    dropped = [e.id for e, n in zip(eps, epochs) if n == 0]
    if len(assignments) < problem.min_participants:
        raise InfeasibleError(
            f"deadline {deadline:g} s leaves {len(assignments)} participant(s), "
            f"below min_participants={problem.min_participants}; fastest possible: "
            f"{float(np.min(overhead + epoch_s * r.min_epochs)):.3g} s",
            field="round.deadline_s",
        )
    if dropped:
        notes.append(f"dropped (cannot finish even one sample by the deadline): {', '.join(dropped)}")
    prior = [a.endpoint for a in assignments if a.profile != "observations"]
    if prior:
        notes.append(f"planned from the hardware prior (no observations): {', '.join(prior)}")
    plan_totals = Totals(
        makespan_s=max(a.predicted_seconds.p50 for a in assignments),
        usd=sum(a.predicted_usd for a in assignments),
        sample_epochs=sum(a.samples * a.epochs for a in assignments),
    )
    return Plan(problem.name, mode, tuple(assignments), plan_totals, baseline, notes=tuple(notes))


def _reason(available: int, r: Any, samples: int, epochs: int, base: Quantiles, q: Quantiles,
            source: str) -> str:
    parts = []
    if epochs < r.epochs:
        parts.append(f"epochs {r.epochs}→{epochs}: {base.p50:.3g} s at {r.epochs} epochs "
                     f"would hold up the round")
    elif epochs > r.epochs:
        parts.append(f"epochs {r.epochs}→{epochs}: fast endpoint takes up the work cut elsewhere")
    else:
        parts.append(f"kept {epochs} epochs")
    if samples < min(r.samples, available):
        parts.append(f"samples {min(r.samples, available)}→{samples} so {epochs} epoch(s) "
                     f"finish with the round")
    parts.append(f"predicted {q.p50:.3g} s")
    if source != "observations":
        parts.append("from hardware (no observations)")
    return "; ".join(parts)
