"""Reasons, in words, for each assignment, move and stay (pure string building)."""

from __future__ import annotations

import numpy as np

from profiler.base import Quantiles
from tuner.layout import Context, Target
from tuner.problem import RoundSpec


def assignment_reason(available: int, r: RoundSpec, samples: int, epochs: int, base_p50: float,
                      q: Quantiles, source: str) -> str:
    """Why this site trains these samples and epochs."""
    parts = []
    if epochs < r.epochs:
        parts.append(f"epochs {r.epochs}→{epochs}: {base_p50:.3g} s at {r.epochs} epochs "
                     f"would hold up the round")
    elif epochs > r.epochs:
        parts.append(f"epochs {r.epochs}→{epochs}: fast endpoint takes up the work cut elsewhere")
    else:
        parts.append(f"kept {epochs} epochs")
    requested = min(r.samples, available)
    if samples < requested:
        parts.append(f"samples {requested}→{samples} so {epochs} epoch(s) finish with the round")
    elif samples > requested:
        parts.append(f"samples {requested}→{samples}: uses more of its own data")
    parts.append(f"predicted {q.p50:.3g} s")
    if source != "observations":
        parts.append("from hardware (no observations)")
    return "; ".join(parts)


def move_reason(tg: Target, once_s: float, saved_s: float, epochs: int, rounds: int,
                usd: float, p_interrupt: float = 0.0) -> str:
    """Why a site's data moved: the one-off time against the time saved every round."""
    risk = f"; {p_interrupt * 100:.2g}% risk of interruption over the rounds" if p_interrupt else ""
    return (f"moved to {tg.id}: {once_s:.3g} s once (${usd:.3g}) vs {saved_s:.3g} s saved "
            f"per round (at {epochs} epochs) over {rounds} rounds{risk}")


def stay_reason(ctx: Context, i: int) -> str:
    """Why a site trains where its data is although there are other places."""
    if not ctx.sites[i].movable:
        return "stays: data may not move (movable: false)"
    if not ctx.targets:
        return "stays: no other place to train"
    pos = int(np.searchsorted(ctx.movable, i))
    t = max(range(len(ctx.targets)), key=lambda j: ctx.targets[j].score[pos])
    tg = ctx.targets[t]
    saved = float(ctx.base_p50[i] - (tg.overhead[pos] + (tg.per_epoch[pos] + tg.rate[pos]
                                                         * ctx.s0[i]) * ctx.problem.round.epochs))
    if saved <= 0:
        return f"stays: the best other place, {tg.id}, is no faster ({-saved:.3g} s slower)"
    if tg.score[pos] <= 0:
        return (f"stays: moving to {tg.id} takes {tg.one_off_s[pos]:.3g} s once for "
                f"{saved:.3g} s saved per round over {ctx.problem.rounds} rounds")
    return (f"stays: moving to {tg.id} ({tg.one_off_s[pos]:.3g} s once) would save "
            f"{saved:.3g} s per round at the round's full epochs, but the balanced round is "
            f"no better for it (time priced at ${ctx.problem.exchange_usd_per_hour:g}/h)")
