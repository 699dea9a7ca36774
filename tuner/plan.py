"""A round plan: per data site the samples, epochs and where it trains, with reasons.

The JSON form (:meth:`Plan.to_dict`) is a public contract, documented in
``docs/contracts.md``; later versions add fields and never remove them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from delta.errors import ConfigError, InfeasibleError
from profiler.base import Quantiles, RuntimeProfile
from tuner.cost import CostModel, DeclaredPrice
from tuner.explain import assignment_reason, move_reason, stay_reason
from tuner.layout import Context, Outcome, build_context, evaluate, hosts
from tuner.problem import POLICIES, Problem
from tuner.progress import site_progress
from tuner.search import N_TRIALS, pareto, pick, search

PLAN_VERSION = 1

#: How much better (dollars plus priced time per round) a layout must be than the current
#: placement (sites' ``runs_on``) for data to go home or elsewhere: profiles refit every
#: round, and their noise alone must not shuffle data between hosts.
KEEP_TOLERANCE = 0.1


@dataclass(frozen=True, slots=True)  # slots: 100,000 of them are built per plan
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
    progress: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint, "runs_on": self.runs_on, "samples": self.samples,
            "epochs": self.epochs, "batch_size": self.batch_size,
            "predicted_seconds": self.predicted_seconds.to_dict(),
            "predicted_usd": round(self.predicted_usd, 6), "reason": self.reason,
            "profile": self.profile, "progress": round(self.progress, 4),
        }


@dataclass(frozen=True)
class Move:
    """A site's data moved once to where it trains from now on."""

    data_of: str
    to: str
    bytes: int
    seconds: float
    usd: float
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"data_of": self.data_of, "to": self.to, "bytes": self.bytes,
                "seconds": round(self.seconds, 4), "usd": round(self.usd, 6),
                "reason": self.reason}


@dataclass(frozen=True)
class Totals:
    makespan_s: float
    usd: float
    sample_epochs: int
    progress: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return {"makespan_s": round(self.makespan_s, 4), "usd": round(self.usd, 6),
                "sample_epochs": self.sample_epochs, "progress": round(self.progress, 4)}


@dataclass(frozen=True)
class ParetoPoint:
    makespan_s: float
    usd: float
    progress: float
    moves: int
    work_scale: float
    chosen: bool

    def to_dict(self) -> dict[str, Any]:
        return {"makespan_s": round(self.makespan_s, 4), "usd": round(self.usd, 6),
                "progress": round(self.progress, 4), "moves": self.moves,
                "work_scale": round(self.work_scale, 4), "chosen": self.chosen}


@dataclass(frozen=True)
class Plan:
    testbed: str
    mode: str
    assignments: tuple[Assignment, ...]
    round: Totals
    baseline: Totals
    moves: tuple[Move, ...] = ()
    pareto: tuple[ParetoPoint, ...] = ()
    dropped: tuple[tuple[str, str], ...] = ()
    policy: str = "epochs-first"
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def speedup(self) -> float:
        return self.baseline.makespan_s / self.round.makespan_s if self.round.makespan_s else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": PLAN_VERSION, "testbed": self.testbed, "mode": self.mode,
            "policy": self.policy,
            "assignments": [a.to_dict() for a in self.assignments],
            "moves": [m.to_dict() for m in self.moves],
            "dropped": [{"endpoint": e, "reason": why} for e, why in self.dropped],
            "round": self.round.to_dict(),
            "baseline": {"name": "uniform", **self.baseline.to_dict()},
            "speedup": round(self.speedup, 4),
            "pareto": [p.to_dict() for p in self.pareto],
            "notes": list(self.notes),
        }


def make_plan(problem: Problem, profiles: Mapping[str, RuntimeProfile],
              deadline_s: float | None = None, *, cost_model: CostModel | None = None,
              seed: int = 0, n_trials: int = N_TRIALS) -> Plan:
    """Plan one round: balance the work and decide where each site's data trains.

    Work mode (no deadline): at least the uniform baseline's sample-epochs in the least
    makespan, with the balancing ``problem.policy``.  Deadline mode: the most
    sample-epochs whose p90 fits the deadline; a site is dropped only if even one sample
    won't fit, and only while ``min_participants`` still take part.  ``profiles`` must
    cover the endpoints and the cloud candidates; ``cost_model`` prices the candidates
    (default: their declared ``price_per_hour``).

    Raises
    ------
    InfeasibleError
        One line naming the binding constraint when no layout satisfies them all.
    """
    if problem.policy not in POLICIES:
        raise ConfigError(f"unknown policy {problem.policy!r} (one of {', '.join(POLICIES)})",
                          field="policy")
    r = problem.round
    deadline = deadline_s if deadline_s is not None else r.deadline_s
    notes: list[str] = []
    empty = sum(1 for e in problem.endpoints if e.samples == 0)
    if empty == len(problem.endpoints):
        raise InfeasibleError("no endpoint holds any data", field="endpoints")
    if empty:
        notes.append(f"{empty} endpoint(s) hold no data of their own: they train only data "
                     f"moved to them")
    ctx = build_context(problem, profiles, cost_model or DeclaredPrice(), deadline, notes)
    outcomes = search(ctx, seed=seed, n_trials=n_trials)
    front = pareto(outcomes)
    if not front:
        field_, msg = outcomes[0].violations[0]
        raise InfeasibleError(msg, field=field_)
    best = _keep_placement(ctx, pick(front, problem.exchange_usd_per_hour), front, notes)
    return _assemble(ctx, profiles, best, front, "work" if deadline is None else "deadline",
                     notes)


def _keep_placement(ctx: Context, best: Outcome, front: list[Outcome],
                    notes: list[str]) -> Outcome:
    """The current placement instead of ``best`` unless ``best`` is clearly better.

    The kept outcome joins ``front`` only if nothing there dominates it: the front stays a
    front, and a plan that keeps a dominated placement lists no chosen point, only a note.
    """
    if ctx.incumbent is None or best.counts == ctx.incumbent:
        return best
    x = ctx.problem.exchange_usd_per_hour
    here = evaluate(ctx, ctx.incumbent, best.scale)
    if not here.feasible or here.value(x) > best.value(x) * (1 + KEEP_TOLERANCE) + 1e-12:
        return best
    gain = 1.0 - best.value(x) / here.value(x) if here.value(x) > 0 else 0.0
    notes.append(f"data trains where it does now: the best other layout is only "
                 f"{gain:.1%} better (a change needs {KEEP_TOLERANCE:.0%})" if gain >= 5e-4
                 else "data trains where it does now: no other layout is better")
    front[:] = pareto([here, *front])  # here first: it wins a tie of equal objectives
    if not any(o is here for o in front):
        notes.append("the kept placement is off the Pareto front (dominated by less than "
                     f"{KEEP_TOLERANCE:.0%}), so the front marks no point as chosen")
    return here


def _assemble(ctx: Context, profiles: Mapping[str, RuntimeProfile], best: Outcome,
              front: list[Outcome], mode: str, notes: list[str]) -> Plan:
    p, r = ctx.problem, ctx.problem.round
    R = p.rounds
    host_of = hosts(ctx, best.via)
    load = np.bincount(host_of, minlength=ctx.n_hosts)
    per_instance: dict[int, float] = {}
    assignments, moves, dropped = [], [], []
    # Every site's quantiles on the host it trains on, at once; a shared host's spread is
    # the profile's at the shared rate.
    qs = ctx.stack.quantiles(best.samples, best.epochs, r.batch_size, which=host_of)
    with np.errstate(divide="ignore", invalid="ignore"):
        shared = (qs[:, 1] > 0) & (load[host_of] > 1)
        qs = np.where(shared[:, None], qs * (best.seconds / qs[:, 1])[:, None], qs)
    # Plain lists: indexing numpy arrays one element at a time is slow at 100k sites.
    samples, epochs, via = best.samples.tolist(), best.epochs.tolist(), best.via.tolist()
    base, price = ctx.base_p50.tolist(), ctx.price.tolist()
    p10, p50, p90 = qs[:, 0].tolist(), qs[:, 1].tolist(), qs[:, 2].tolist()
    shares = load[host_of].tolist()  # how many sites train side by side on each one's host
    prog = site_progress(best.samples, best.epochs, ctx.s0, r.epochs).tolist()
    for i, e in enumerate(ctx.sites):
        s, ep, t = samples[i], epochs[i], via[i]
        if ep == 0 or s == 0:
            dropped.append((e.id, f"cannot finish one sample by the deadline "
                                  f"({base[i]:.3g} s at the round's samples and epochs)"))
            continue
        tg = ctx.targets[t] if t >= 0 else None
        prof = profiles[tg.id if tg is not None else e.id]
        q = Quantiles(p10[i], p50[i], p90[i])
        if tg is None:
            usd = price[i] * q.p50 / 3600.0 / shares[i]  # its share of a shared host
            where = stay_reason(ctx, i) if ctx.targets or p.candidates else ""
        else:
            host = int(host_of[i])
            held = bool(tg.held[np.searchsorted(ctx.movable, i)])
            how = "data already there" if held else "data moved"
            if tg.candidate is None:
                usd = tg.price_per_hour * q.p50 / 3600.0 / shares[i]
                where = f"runs on {tg.id} ({how}{'' if held else ' there'})"
            else:
                usd = per_instance.setdefault(host, _instance_usd(ctx, t, best) / shares[i])
                where = f"runs on {tg.id} ({how}; its share of the instance held all round)"
            if not held:  # a copy already there is trained again without a move
                moves.append(_move(ctx, i, t, s, ep, q.p50, best.makespan_s))
        reason = assignment_reason(e.samples, r, s, ep, base[i], q, prof.source)
        assignments.append(Assignment(
            endpoint=e.id, runs_on=tg.id if tg is not None else e.id, samples=s, epochs=ep,
            batch_size=r.batch_size, predicted_seconds=q, predicted_usd=float(usd),
            reason=f"{reason}; {where}" if where else reason, profile=prof.source,
            progress=prog[i],
        ))
    if dropped:
        notes.append("dropped (cannot finish even one sample by the deadline): "
                     + ", ".join(d[0] for d in dropped))
    prior = [a.endpoint for a in assignments if a.profile != "observations"]
    if prior:
        notes.append(f"planned from the hardware prior (no observations): {', '.join(prior)}")
    if moves:
        notes.append(f"moves are paid once and amortised over the remaining {R} rounds")
        if mode == "deadline":
            once = max(float(ctx.targets[t].one_off_s[np.searchsorted(ctx.movable, i)])
                       for i, t in enumerate(via) if t >= 0)
            notes.append(f"the deadline holds from the second round: the first also waits "
                         f"{once:.3g} s for the moves")
    baseline = Totals(makespan_s=float(np.max(ctx.base_p50)),
                      usd=float(np.sum(ctx.price * ctx.base_p50)) / 3600.0,
                      sample_epochs=int(ctx.baseline_work), progress=1.0)
    totals = Totals(makespan_s=max(a.predicted_seconds.p50 for a in assignments),
                    usd=best.usd, sample_epochs=sum(a.samples * a.epochs for a in assignments),
                    progress=best.progress)
    points = tuple(ParetoPoint(o.amortised_s, o.usd, o.progress, _transfers(ctx, o.via),
                               o.scale, o is best) for o in front)
    return Plan(p.name, mode, tuple(assignments), totals, baseline, tuple(moves), points,
                tuple(dropped), p.policy, tuple(notes))


def _transfers(ctx: Context, via: NDArray) -> int:
    """How many sites' data a layout sends somewhere (training on a held copy sends none)."""
    away = np.flatnonzero(via >= 0)
    pos = np.searchsorted(ctx.movable, away).tolist()
    return sum(not ctx.targets[t].held[j] for t, j in zip(via[away].tolist(), pos))


def _move(ctx: Context, i: int, t: int, samples: int, epochs: int, remote_s: float,
          makespan_s: float) -> Move:
    """Site ``i``'s data moving to target ``t``, with its one-off seconds and dollars."""
    tg, e = ctx.targets[t], ctx.sites[i]
    pos = int(np.searchsorted(ctx.movable, i))
    once = float(tg.one_off_s[pos])
    usd, risk = float(tg.egress_usd[pos]), 0.0
    if tg.candidate is not None:
        est = ctx.cost_model.estimate(tg.candidate, once / 3600.0)
        usd += est.usd if est is not None else 0.0
        held = ctx.cost_model.estimate(tg.candidate, (ctx.problem.rounds * makespan_s + once)
                                       / 3600.0)
        risk = held.p_interrupt if held is not None else 0.0
    saved = float(ctx.overhead[i] + (ctx.per_epoch[i] + ctx.rate[i] * samples) * epochs) - remote_s
    return Move(e.id, tg.id, e.bytes, float(tg.transfer_s[pos]), usd,
                move_reason(tg, once, saved, epochs, ctx.problem.rounds, usd, risk))


def _instance_usd(ctx: Context, t: int, out: Outcome) -> float:
    """Per-round dollars of a cloud instance, held all round, start-up amortised."""
    R, tg = ctx.problem.rounds, ctx.targets[t]
    pos = np.full(len(ctx.sites), -1)
    pos[ctx.movable] = np.arange(len(ctx.movable))
    once = float(np.max(tg.one_off_s[pos[out.via == t]]))
    est = ctx.cost_model.estimate(tg.candidate, (R * out.makespan_s + once) / 3600.0)
    return est.usd / R if est is not None else 0.0
