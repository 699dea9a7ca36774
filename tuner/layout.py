"""The inner solver: one layout (where each site trains, how much work) to a balanced round.

A *layout* says, per target (a cloud candidate or a fast endpoint), how many movable sites
send their data there — the best-ranked ones for that target — and a work scale (work
mode: sample-epochs relative to the uniform baseline).  :func:`evaluate` balances the
round analytically for that layout and scores it on the three objectives: amortised
makespan, dollars per round and learning progress, plus the constraints it breaks.

Sites that share a host share its throughput (each runs ``load`` times slower).  A cloud
instance is paid for the time it is held: start-up and the data transfer once, then the
whole round (it waits for the slowest endpoint), every round.

A move costs per (site, host): nothing where a copy of the site's data already sits (its
``held_at``), its bytes over the slower link plus both latencies, and its egress,
anywhere else.  Hosts holding a copy are always targets, and each target ranks the sites
that train on it now (``runs_on``) first and sites that train on another host last, so
the current placement is one layout (:attr:`Context.incumbent`).  A site training
elsewhere whose own endpoint was never measured stays on its host (:attr:`Context.floor`):
going home would rest on nothing but the hardware prior, which its move already judged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from profiler.base import RuntimeProfile
from profiler.stack import ProfileStack
from tuner.cost import CostModel
from tuner.policies import solve_deadline, solve_work
from tuner.problem import CandidateSpec, EndpointSpec, Problem
from tuner.progress import progress
from tuner.transfer import egress_usd, link, transfer_seconds

#: How many of the fastest endpoints are considered as hosts for other sites' data.
ENDPOINT_TARGETS = 3


@dataclass(frozen=True)
class Target:
    """A place data can move to; arrays run over the movable sites of the context."""

    id: str
    host: int
    candidate: CandidateSpec | None
    price_per_hour: float
    overhead: NDArray
    per_epoch: NDArray
    rate: NDArray
    widen: NDArray
    transfer_s: NDArray
    one_off_s: NDArray
    score: NDArray
    order: NDArray
    egress_usd: NDArray  #: per movable site, dollars of egress moving there (0: held)
    held: NDArray  #: per movable site, whether a copy of its data already sits here


@dataclass(frozen=True)
class Context:
    """Everything :func:`evaluate` needs, computed once per plan."""

    problem: Problem
    sites: tuple[EndpointSpec, ...]
    s0: NDArray
    held: NDArray
    overhead: NDArray
    per_epoch: NDArray  #: seconds an epoch costs whatever its samples
    rate: NDArray  #: seconds per sample-epoch
    widen: NDArray
    base_p50: NDArray
    price: NDArray
    movable: NDArray
    targets: tuple[Target, ...]
    deadline: float | None
    cost_model: CostModel
    host_price: NDArray  #: per host, the declared dollars per hour (0: priced per instance)
    stack: ProfileStack  #: profiles by host index (see :meth:`n_hosts`)
    #: Per target, how many sites train there now (``runs_on``); ``None`` when every
    #: site trains at home.
    incumbent: tuple[int, ...] | None = None
    #: Per target, the least count of any layout: sites pinned there (their own profile
    #: is only a prior); ``None`` when no site is pinned.
    floor: tuple[int, ...] | None = None

    @property
    def least(self) -> tuple[int, ...]:
        """The layout with the fewest moves: every site home but the pinned ones."""
        return self.floor if self.floor is not None else (0,) * len(self.targets)

    @property
    def baseline_work(self) -> float:
        return float(np.sum(self.s0) * self.problem.round.epochs)

    @property
    def n_hosts(self) -> int:
        """Hosts are numbered: the sites, the cloud candidates, then the endpoints that
        hold no data of their own (they can still train data moved to them)."""
        return len(self.stack)


@dataclass(frozen=True)
class Outcome:
    """A balanced layout with its objectives and broken constraints."""

    counts: tuple[int, ...]
    scale: float
    via: NDArray  # per site: index of the target it moved to, -1 for in place
    samples: NDArray
    epochs: NDArray
    seconds: NDArray  # p50 per site
    makespan_s: float
    amortised_s: float
    usd: float
    progress: float
    participants: int
    violations: tuple[tuple[str, str], ...]

    @property
    def feasible(self) -> bool:
        return not self.violations

    def value(self, exchange_usd_per_hour: float) -> float:
        """Dollars per round with the (amortised) round time priced at the exchange rate."""
        return self.usd + self.amortised_s / 3600.0 * exchange_usd_per_hour


def build_context(problem: Problem, profiles: Mapping[str, RuntimeProfile],
                  cost_model: CostModel, deadline: float | None,
                  notes: list[str]) -> Context:
    """Precompute per-site costs at home and at every target (profiles queried as arrays).

    ``profiles`` must cover the endpoints and the priced cloud candidates.
    """
    r, R = problem.round, problem.rounds
    sites = tuple(e for e in problem.endpoints if e.samples > 0)
    idle = tuple(e for e in problem.endpoints if e.samples == 0 and e.id in profiles)
    n, n_cand = len(sites), len(problem.candidates)
    s0 = np.array([min(r.samples, e.samples) for e in sites], dtype=np.int64)
    held = np.array([e.samples for e in sites], dtype=np.int64)
    spread = deadline is not None
    # A candidate without a profile is fine as long as it is never priced (never a host).
    cand_profiles = [profiles.get(c.id) for c in problem.candidates]
    stack = ProfileStack([profiles[e.id] for e in sites] + cand_profiles  # type: ignore
                         + [profiles[e.id] for e in idle])
    o, c, k, w, base = _costs(stack, np.arange(n), s0, r.epochs, r.batch_size, spread)
    site_price = np.array([e.price_per_hour for e in sites])
    host_price = np.concatenate([site_price, np.zeros(n_cand),
                                 [e.price_per_hour for e in idle]])
    movable = np.flatnonzero([e.movable for e in sites])
    targets: list[Target] = []
    pinned: list[str | None] = []  # per movable site, the host it stays on (prior at home)
    if len(movable):
        hosts: list[tuple[str, int, CandidateSpec | None, float, float, float]] = []
        for j, cand in enumerate(problem.candidates):
            if cost_model.estimate(cand, 1.0) is None:
                notes.append(f"{cand.id}: no price (declare price_per_hour or use the spot "
                             f"predictor); not considered")
                continue
            hosts.append((cand.id, len(sites) + j, cand, 0.0, cand.bandwidth_mbps,
                          cand.latency_ms))
        # The fastest endpoints, with or without data of their own, at the round's samples.
        idle_e = _costs(stack, n + n_cand + np.arange(len(idle)),
                        np.full(len(idle), r.samples), r.epochs, r.batch_size, False)[1:3]
        hosts_k = np.concatenate([c / s0 + k, idle_e[0] / r.samples + idle_e[1]])
        for i in np.argsort(hosts_k, kind="stable")[:ENDPOINT_TARGETS].tolist():
            e, host = (sites[i], i) if i < n else (idle[i - n], n_cand + i)
            hosts.append((e.id, host, None, e.price_per_hour, e.bandwidth_mbps, e.latency_ms))
        # A host that holds a copy stays a target, so training the data there again (or
        # where it trains now) is always a layout the search can reach.
        held_at = {h for i in movable.tolist() for h in sites[i].held_at}
        listed = {h[0] for h in hosts}
        for i, e in enumerate((*sites, *idle)):
            if e.id in held_at and e.id not in listed:
                hosts.append((e.id, i if i < n else n_cand + i, None, e.price_per_hour,
                              e.bandwidth_mbps, e.latency_ms))
        site_egress = egress_usd(np.array([sites[i].bytes for i in movable], dtype=float),
                                 np.array([sites[i].egress_usd_per_gb for i in movable]))
        runs_on = [sites[i].runs_on for i in movable.tolist()]
        pinned = [h if h is not None and profiles[sites[i].id].source != "observations"
                  else None for h, i in zip(runs_on, movable.tolist())]
        if any(pinned):
            notes.append("data stays where it trains (" + ", ".join(
                f"{sites[i].id} on {h}" for h, i in zip(pinned, movable.tolist()) if h)
                + "): its own endpoint was never measured, and going home would rest on "
                "the hardware prior alone")
        home_t = base[movable]
        for tid, host, cand, price, bw, lat in hosts:
            m = movable
            to, tc, tk, tw, tbase = _costs(stack, np.full(len(m), host), s0[m], r.epochs,
                                           r.batch_size, spread)
            bw_l, lat_l = link(np.array([sites[i].bandwidth_mbps for i in m]),
                               np.array([sites[i].latency_ms for i in m]), bw, lat)
            nbytes = np.array([sites[i].bytes for i in m], dtype=float)
            copy = np.array([tid in sites[i].held_at for i in m], dtype=bool)
            tx = np.where(copy, 0.0, transfer_seconds(nbytes, bw_l, lat_l))
            one_off = tx + (cand.startup_s if cand is not None else 0.0)
            score = R * (home_t - tbase) - one_off
            score = np.where(m == host, -np.inf, score)  # a site never "moves" home
            order = np.argsort(-score, kind="stable")
            if any(runs_on):
                # Sites pinned here, then the others training here now, first; sites
                # training on another host last, and never those pinned there.
                rank = np.array([0 if pin == tid else 1 if h == tid else 2 if h is None
                                 else 4 if pin is not None else 3
                                 for h, pin in zip(runs_on, pinned)])
                order = order[np.argsort(rank[order], kind="stable")]
                order = order[rank[order] < 4]
            # A move must pay for itself at the round's full epochs: a chain or rotation of
            # moves among equal hosts (desktop-1's data to desktop-2, desktop-2's to
            # desktop-3, ...) only reshuffles data.  Data with a copy here, or training here
            # now, stays eligible.
            here = np.array([h == tid for h in runs_on], dtype=bool) if any(runs_on) \
                else np.zeros(len(m), dtype=bool)
            order = order[np.isfinite(score[order])
                          & ((score[order] > 0) | copy[order] | here[order])]
            targets.append(Target(tid, host, cand, price, to, tc, tk, tw, tx, one_off, score,
                                  order, np.where(copy, 0.0, site_egress), copy))
    return Context(
        problem=problem, sites=sites, s0=s0, held=held, overhead=o, per_epoch=c, rate=k,
        widen=w, base_p50=base, price=site_price,
        movable=movable, targets=tuple(targets), deadline=deadline, cost_model=cost_model,
        host_price=host_price, stack=stack, incumbent=_incumbent(sites, movable, targets),
        floor=tuple(pinned.count(tg.id) for tg in targets) if any(pinned) else None,
    )


def _incumbent(sites: tuple[EndpointSpec, ...], movable: NDArray,
               targets: list[Target]) -> tuple[int, ...] | None:
    """Per target, the sites training there now (the current placement as a layout)."""
    if not any(sites[i].runs_on for i in movable.tolist()):
        return None
    return tuple(sum(1 for i in movable.tolist() if sites[i].runs_on == tg.id)
                 for tg in targets)


#: The least time a sample-epoch may take in planning (1 ns).
_MIN_SAMPLE_EPOCH_S = 1e-9


def _costs(stack: ProfileStack, which: NDArray, s0: NDArray, epochs: int, batch: int,
           spread: bool) -> tuple[NDArray, NDArray, NDArray, NDArray, NDArray]:
    """Overhead, seconds per epoch whatever its samples, seconds per sample-epoch, p90/p50
    ratio and the p50 at ``(s0, epochs)``.

    ``which`` names each row's profile in ``stack``.  An epoch's cost at no samples and at
    ``s0`` splits it into the part samples do not change and the per-sample rate (exact at
    both; a per-step term is linear in between up to whole steps).  ``epoch_cost`` is the
    median, so the p50 follows from it; the p90/p50 ratio (``spread``, for deadlines)
    needs the quantiles.
    """
    over, epoch_s = stack.epoch_cost(s0, batch, which)
    fixed = stack.epoch_cost(0, batch, which)[1]
    ratio = np.ones(len(s0))
    if spread:
        # The p90/p50 ratio grows where a profile extrapolates: bounded at the round's
        # task and at one sample, one epoch; :func:`_within_deadline` checks the tasks
        # a plan then chooses.
        ratio = np.maximum(*(_p90_ratio(stack.quantiles(s, e, batch, which))
                             for s, e in ((s0, epochs), (1, 1))))
    # A profile may claim a free epoch (a fit on too few, too noisy runs); a floor keeps
    # every division and epoch count finite.
    o, c = np.maximum(over, 0.0), np.clip(fixed, 0.0, np.maximum(epoch_s, 0.0))
    k = np.maximum((epoch_s - c) / s0, _MIN_SAMPLE_EPOCH_S)
    return o, c, k, ratio, o + (c + k * s0) * epochs


def _p90_ratio(q: NDArray) -> NDArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(q[:, 1] > 0, q[:, 2] / q[:, 1], 1.0)


def decode(ctx: Context, counts: tuple[int, ...]) -> NDArray:
    """Per site, the target it moves to (-1: in place): each target takes its best-ranked
    movable sites that no earlier target took."""
    via_m = np.full(len(ctx.movable), -1)
    for t, (tg, c) in enumerate(zip(ctx.targets, counts)):
        if c <= 0:
            continue
        free = tg.order[via_m[tg.order] < 0]
        via_m[free[:c]] = t
    via = np.full(len(ctx.sites), -1)
    via[ctx.movable] = via_m
    return via


def hosts(ctx: Context, via: NDArray) -> NDArray:
    """Per site, the index of the host it trains on (endpoints first, then candidates)."""
    target_host = np.array([t.host for t in ctx.targets] + [0], dtype=np.int64)
    return np.where(via < 0, np.arange(len(via)), target_host[via])


def evaluate(ctx: Context, counts: tuple[int, ...], scale: float = 1.0) -> Outcome:
    """Balance the round for one layout and score it."""
    p, r = ctx.problem, ctx.problem.round
    n, R = len(ctx.sites), p.rounds
    via = decode(ctx, counts)
    o, c, k, w = ctx.overhead.copy(), ctx.per_epoch.copy(), ctx.rate.copy(), ctx.widen.copy()
    host = hosts(ctx, via)
    pos = np.full(n, -1)
    pos[ctx.movable] = np.arange(len(ctx.movable))
    used: list[tuple[int, NDArray]] = []
    for t, tg in enumerate(ctx.targets):
        sel = np.flatnonzero(via == t)
        if len(sel):
            at = pos[sel]
            o[sel], c[sel], k[sel], w[sel] = (tg.overhead[at], tg.per_epoch[at], tg.rate[at],
                                              tg.widen[at])
            used.append((t, sel))
    load = np.ones(n, dtype=np.int64)  # sites training side by side on each site's host
    if used:
        load = np.bincount(host, minlength=ctx.n_hosts)[host]
        c, k = c * load, k * load
    if ctx.deadline is not None:
        s, e, w = _within_deadline(ctx, o, c, k, w, host, load > 1)
    else:
        s, e = solve_work(p.policy, o, c, k, ctx.s0, ctx.held, scale * ctx.baseline_work, r)
    part = (e > 0) & (s > 0)
    # A site that trains nothing this round moves nowhere and holds no instance.
    via = np.where(part, via, -1)
    used = [(t, sel[part[sel]]) for t, sel in used if part[sel].any()]
    sec = o + (c + k * s) * e
    makespan = float(np.max(sec[part])) if part.any() else math.inf
    # Endpoints bill their declared price for the time they train; a shared host's time
    # once, not once per site on it (each runs ``load`` times slower, side by side).
    # Cloud instances are held for the whole round and priced below.
    usd = float(np.sum(np.where(part, ctx.host_price[host] * sec / load, 0.0))) / 3600.0
    one_off = 0.0
    delay = 0.0
    for t, sel in used:
        tg = ctx.targets[t]
        once = float(np.max(tg.one_off_s[pos[sel]]))
        one_off = max(one_off, once)
        usd += float(np.sum(tg.egress_usd[pos[sel]])) / R
        if tg.candidate is not None and math.isfinite(makespan):
            est = ctx.cost_model.estimate(tg.candidate, (R * makespan + once) / 3600.0)
            assert est is not None  # unpriced candidates never become targets
            usd += est.usd / R
            # An interruption costs a new start-up and transfer and, on average, half a round.
            delay += est.p_interrupt * (once + 0.5 * makespan)
    amortised = makespan + (one_off + delay) / R
    prog = progress(s * part, e * part, ctx.s0, ctx.held, r.epochs)
    return Outcome(tuple(counts), scale, via, s, e, sec, makespan, amortised, usd, prog,
                   int(part.sum()), _violations(ctx, int(part.sum()), usd, o, c + k, w))


#: Rounds of :func:`_within_deadline`'s check of the p90s a deadline plan chose.
_P90_CHECKS = 8


def _within_deadline(ctx: Context, o: NDArray, c: NDArray, k: NDArray, w: NDArray,
                     host: NDArray, shared: NDArray) -> tuple[NDArray, NDArray, NDArray]:
    """Samples and epochs whose p90 fits the deadline, and the p90/p50 factors used.

    ``w`` (from :func:`_costs`) bounds the p90/p50 ratio at two tasks only; a task the
    solver picks elsewhere (few samples at many epochs: the per-epoch term's doubt) may
    spread wider.  Each check asks the host's profile for the p90 of the tasks chosen (a
    shared host's p90 scales with its p50, as the plan reports it), raises the factor of
    every site whose p90 would pass the deadline, and solves again; a site still past it
    after :data:`_P90_CHECKS` checks sits the round out.
    """
    p, r = ctx.problem, ctx.problem.round
    for check in range(_P90_CHECKS + 1):
        s, e = solve_deadline(p.policy, o * w, c * w, k * w, ctx.s0, ctx.held, ctx.deadline, r)
        at = np.flatnonzero((e > 0) & (s > 0))
        if not len(at):
            break
        q = ctx.stack.quantiles(s[at], e[at], r.batch_size, which=host[at])
        p50 = np.where(shared[at], q[:, 1], (o + (c + k * s) * e)[at])
        with np.errstate(divide="ignore", invalid="ignore"):
            need = np.where(p50 > 0, q[:, 2] / p50, 1.0)
        over = need > w[at] * (1 + 1e-9)
        if not over.any():
            break
        if check == _P90_CHECKS:
            e = e.copy()
            e[at[over]] = 0
            break
        w = w.copy()
        w[at] = np.maximum(w[at], need * (1 + 1e-9))
    return s, e, w


def _violations(ctx: Context, participants: int, usd: float, o: NDArray, one: NDArray,
                w: NDArray) -> tuple[tuple[str, str], ...]:
    """``one``: per site, the seconds of an epoch over one sample."""
    p = ctx.problem
    out = []
    if participants < p.min_participants:
        if ctx.deadline is not None:
            fastest = float(np.min((o + one * p.round.min_epochs) * w))
            out.append(("round.deadline_s",
                        f"deadline {ctx.deadline:g} s leaves {participants} participant(s), "
                        f"below min_participants={p.min_participants}; the quickest endpoint "
                        f"needs {fastest:.3g} s (p90) for min_epochs"))
        else:
            out.append(("objective.min_participants",
                        f"only {participants} endpoint(s) can take part, below "
                        f"min_participants={p.min_participants}"))
    budget = p.budget_usd_per_round
    if budget is not None and usd > budget * (1 + 1e-9) + 1e-12:
        out.append(("objective.budget_usd_per_round",
                    f"budget ${budget:g} per round is below this plan's ${usd:.4g} "
                    f"(paid compute: {_paid(ctx)})"))
    return tuple(out)


def _paid(ctx: Context) -> str:
    paid = [e.id for e in ctx.sites if e.price_per_hour > 0]
    paid += [t.id for t in ctx.targets if t.candidate is not None]
    return ", ".join(paid[:4]) + (", ..." if len(paid) > 4 else "") if paid else "none"
