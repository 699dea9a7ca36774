"""Multi-objective search over layouts: a Pareto front and the pick by exchange rate.

Objectives: amortised round makespan (min), dollars per round with moves amortised (min),
learning progress (max).  Constraints: deadline (the inner balancer fits it), budget per
round, minimum participants.  With nothing to place, an analytic sweep of the work scale
gives the front; otherwise optuna's NSGA-II (seeded, in-memory) searches how many sites
move to each target and the work scale, with :func:`~tuner.layout.evaluate` as the inner
solver, starting from the in-place layout and a greedy one.
"""

from __future__ import annotations

import logging

import numpy as np

from tuner.layout import Context, Outcome, evaluate

#: Work scales swept on the analytic path (work mode): baseline work and more of it.
SCALES = (1.0, 1.25, 1.5, 2.0)
N_TRIALS = 150
POPULATION = 30


def search(ctx: Context, *, seed: int = 0, n_trials: int = N_TRIALS) -> list[Outcome]:
    """Every layout evaluated, in evaluation order (the in-place, baseline-work one first)."""
    work_mode = ctx.deadline is None
    zero = ctx.least  # every site home, but those pinned where they train
    if not ctx.targets:
        return [evaluate(ctx, zero, s) for s in (SCALES if work_mode else (1.0,))]
    import optuna

    optuna.logging.set_verbosity(logging.WARNING)
    seen: dict[tuple[tuple[int, ...], float], Outcome] = {}

    def run(counts: tuple[int, ...], scale: float) -> Outcome:
        key = (counts, round(scale, 4))
        if key not in seen:
            seen[key] = evaluate(ctx, counts, scale)
        return seen[key]

    run(zero, 1.0)
    start = greedy(ctx, run)

    def objective(trial: optuna.Trial) -> tuple[float, float, float]:
        counts = tuple(trial.suggest_int(f"to:{t.id}", lo, len(t.order))
                       for t, lo in zip(ctx.targets, zero))
        scale = trial.suggest_float("work_scale", 1.0, 2.0) if work_mode else 1.0
        out = run(counts, scale)
        for name, amount in _violation(ctx, out).items():
            trial.set_constraint(name, amount)
        return out.amortised_s if np.isfinite(out.amortised_s) else 1e18, out.usd, out.progress

    sampler = optuna.samplers.NSGAIISampler(population_size=POPULATION, seed=seed)
    study = optuna.create_study(directions=["minimize", "minimize", "maximize"],
                                sampler=sampler)
    for counts in (zero, start):
        params: dict[str, float] = {f"to:{t.id}": c for t, c in zip(ctx.targets, counts)}
        if work_mode:
            params["work_scale"] = 1.0
        study.enqueue_trial(params, skip_if_exists=True)
    study.optimize(objective, n_trials=n_trials)
    return list(seen.values())


def greedy(ctx: Context, run) -> tuple[int, ...]:
    """Targets in order of their best move; each takes 1, 2, 4, ... sites while that helps."""
    x = ctx.problem.exchange_usd_per_hour
    counts = list(ctx.least)
    best = run(tuple(counts), 1.0)
    ranked = sorted(range(len(ctx.targets)),
                    key=lambda t: -float(np.max(ctx.targets[t].score, initial=-np.inf)))
    for t in ranked:
        c = counts[t] + 1
        while c <= len(ctx.targets[t].order):
            trial = list(counts)
            trial[t] = c
            out = run(tuple(trial), 1.0)
            if _key(out, x) < _key(best, x):
                best, counts = out, trial
            elif c > 1:
                break
            c *= 2
    return tuple(counts)


def _key(out: Outcome, exchange: float) -> tuple[bool, float, float, float]:
    return (not out.feasible, out.value(exchange), -out.progress, out.amortised_s)


def _violation(ctx: Context, out: Outcome) -> dict[str, float]:
    """Constraint values for NSGA-II: feasible when all are <= 0."""
    p = ctx.problem
    budget = p.budget_usd_per_round
    return {"min_participants": float(p.min_participants - out.participants),
            "budget": out.usd - budget if budget is not None else 0.0}


def pareto(outcomes: list[Outcome]) -> list[Outcome]:
    """The feasible outcomes no other feasible outcome dominates (one per objective vector).

    Sorted by makespan.
    """
    pts: dict[tuple[float, float, float], Outcome] = {}
    for o in outcomes:
        if o.feasible and np.isfinite(o.amortised_s):
            pts.setdefault((round(o.amortised_s, 9), round(o.usd, 12), -round(o.progress, 12)), o)
    keys = sorted(pts)
    front = []
    for a in keys:
        if not any(all(b[j] <= a[j] for j in range(3)) and b != a for b in keys):
            front.append(pts[a])
    return front


#: Points whose priced cost is within this fraction of the cheapest count as equal.
PICK_TOLERANCE = 0.01


def pick(front: list[Outcome], exchange_usd_per_hour: float) -> Outcome:
    """The point with the least dollars plus time priced at the exchange rate; among those
    within :data:`PICK_TOLERANCE` of it, the one with the most learning progress."""
    cheapest = min(o.value(exchange_usd_per_hour) for o in front)
    near = [o for o in front
            if o.value(exchange_usd_per_hour) <= cheapest * (1 + PICK_TOLERANCE) + 1e-12]
    return min(near, key=lambda o: (-o.progress, o.value(exchange_usd_per_hour)))
