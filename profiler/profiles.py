"""Per-endpoint profiles: composite models with a hardware prior for cold start.

:func:`fit_profiles` is what the planner calls after every round.  Each endpoint's
composite model is fitted with a prior learned from the *other* endpoints (their law's
shape, scaled by the speed their hardware predicts), so an endpoint with no runs is
planned from its hardware and its own runs take over smoothly as they arrive.  Everything
is small linear algebra and a refit is linear in the fleet (:mod:`profiler.fleet`): the
others' summary is built once and each endpoint leaves itself out by a downdate.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from profiler.base import Quantiles
from profiler.composite import (FEATURES, VARIABLES, WORK_TERMS, CompositeModel,
                                active_variables)
from profiler.fleet import Fleet, FleetView
from profiler.hardware import HardwareSpec
from profiler.law import law_quantiles, prior_posteriors, shrunk_noise, weak_prior_sd
from profiler.prior import SHAPE_SPREAD, hardware_features, own_log_scale, shape_prior

#: The reference law: Keras training on one unit of capacity (one 1 GHz core), from first
#: principles: start-up (model build, tracing) ~0.5 s plus ~2 s per million parameters;
#: per optimizer step ~2 ms of framework overhead plus the update (~3 FLOPs per parameter);
#: per sample and epoch ~20 us of input handling plus forward and backward passes (~6 FLOPs
#: per parameter); per epoch ~50 ms of framework bookkeeping (a fresh dataset iterator,
#: callbacks, logs: some 25 steps' worth of Python), serial and whatever the model.  The
#: arithmetic runs at ~5 GFLOP/s, a sixth of the 32 single-precision FLOPs per cycle an
#: AVX2 core issues (small layers keep its vector units far from busy).  Work splits evenly
#: into a serial and a parallel part over threads; bytes read at ~100 MB/s.  The shape of
#: the law (and its speed) until a second endpoint has been observed.  (An earlier ~1
#: GFLOP/s made a parameter's work cost 5x too much against the per-sample handling, and
#: an endpoint alone read its first runs through that shape: in the bench, two random runs
#: erred 27% and now 21%, four 20% and now 19%.  The bench grid's own law shows ~4 GFLOP/s
#: per GHz with one thread.)
REFERENCE_TERMS = {"start_up_s": 0.5, "per_mparam_s": 2.0, "s_per_mb": 0.01,
                   "per_epoch_s": 0.05, "per_step_s": 2.0e-3, "per_step_s*mparams": 6.0e-4,
                   "per_sample_epoch_s": 2.0e-5, "per_sample_epoch_s*mparams": 1.2e-3}
#: The batch size at which per-step costs fold into per-sample ones when batch size does
#: not vary (no per-step term to hold them).
REFERENCE_BATCH = 32
#: Relative doubt about each coefficient of the reference law's shape (first principles are
#: good to a factor of two or so per term).
REFERENCE_SHAPE_SPREAD = 1.0
REFERENCE = "<reference law>"
#: Relative doubt about each coefficient of the reference law's shape where it only fills
#: in what an endpoint's runs leave open of the shape it gives the fleet
#: (:func:`_first_pass`): wider than :data:`REFERENCE_SHAPE_SPREAD`, so that the runs
#: decide what they can tell.  Measured on splits of the bench grid (both endpoints with
#: n = 1 / 2 / 3 / 4 / 6 random runs, median APE of their other runs): 1x 21.6 / 17.5 /
#: 15.7 / 14.0 / 12.7%, 4x 21.6 / 17.6 / 16.1 / 14.2 / 13.0%, 16x 21.6 / 17.8 / 15.1 /
#: 15.0 / 13.7%; each alone 21.3 / 18.4 / 16.8 / 14.6 / 13.3%, and from weak fits 56.9 /
#: 34.4 / 25.2 / 19.3 / 14.3%.  On ten seeds of the six-endpoint fleets of
#: ``tests/test_profiler_fleet.py`` (laws of 3, 5 and 7 terms, six runs each; filled
#: whatever the runs tell), the observed endpoints erred 14.7 / 10.6 / 13.9% at 1x, 13.1 /
#: 6.2 / 9.5% at 4x, 13.9 / 5.6 / 8.7% at 16x, and 13.2 / 5.8 / 8.2% from weak fits (4x
#: and filled only where the runs leave terms open: 13.2 / 5.7 / 9.5%).
FILL_SHAPE_SPREAD = 4.0
#: Experiment design for an endpoint with fewer runs than its law has terms, and the
#: reference law's shape (no other endpoint observed), plans with this many times the
#: shape doubt that its predictions take.  First principles leave every term open by a
#: factor of two or so, and no covariance shows how far off they are: until the runs alone
#: can tell every term, the prior's shape carries some directions of the prediction, so
#: design should spread over all the shape may be (measured on the first bench grid: three
#: runs of the larger model before the first of the smaller).  A shape learned from other
#: endpoints is planned with the predictions' own doubt: the wider one cost a new endpoint
#: accuracy in the bench, where the endpoints share a shape and where the fleet's is
#: another (``bench/profiler_accuracy.py``, designed n - random 2n summed over n = 2..8:
#: development seeds 1000-1024 / 1100-1124 / 1200-1224 / 1300-1324, 4x -0.4 / -0.1 /
#: -1.0 / -1.4 points, 1x -1.2 / -3.7 / -2.0 / -2.6; ``--grid
#: bench/data/profiler_grid_first.csv --exact-law 0.14``, seeds 1000-1099 / 1100-1199,
#: 4x +10.6 / +11.5, 1x +8.8 / +9.5).
EXPLORE_DOUBT = 4.0
#: Run-to-run noise assumed before any endpoint has shown its own (training tasks on shared
#: machines vary by tens of percent).
REFERENCE_NOISE = 0.3
#: Log-scale spread of a prior that rests on no observations at all.
UNCALIBRATED_SIGMA = 1.0
#: Prior spread every work coefficient (and a term no run has exercised) keeps, as a
#: fraction of the weak default prior's.
FLOOR_FRACTION = 0.005
#: Prior spread every fixed cost (start-up, build per Mparam, per MB) keeps: this fraction
#: of a typical run at the largest configuration seen (see :meth:`_FleetPrior._floor`).
FIXED_COST_FLOOR = 0.05
#: Configuration rows used to compare endpoints' speed (the most recent of them).
MAX_REFERENCE_ROWS = 200
#: The configuration that stands in for them before anyone has run anything (samples,
#: epochs, batch size, threads, model params, bytes): a speed must be measured on a task,
#: or the largest per-unit coefficient (an epoch's cost) sets the scale of every term.
TYPICAL_TASK = (500.0, 1.0, float(REFERENCE_BATCH), 1.0, 0.0, 0.0)


@dataclass(frozen=True)
class FitState:
    """An endpoint's law fitted on its own runs alone (twice: :func:`_first_pass`), and
    a digest of those runs and its hardware.

    The first pass of :func:`fit_profiles` depends on nothing but the endpoint's own runs
    and hardware, so a refit reuses it as is while they are unchanged (most endpoints,
    most rounds).
    """

    #: Under a weak prior: the run noise the endpoint's runs show.
    alone: CompositeModel
    #: The fit whose shape the endpoint gives the fleet: ``alone`` if its runs tell every
    #: term, else under the reference law's prior, widened.
    shaped: CompositeModel
    digest: bytes


@dataclass(frozen=True)
class Profile:
    """A fitted runtime model of one endpoint for one task kind.

    Satisfies :class:`profiler.base.RuntimeProfile`.  Variables a query leaves out
    (threads, model size, bytes) take the endpoint's typical values in ``defaults``.
    """

    endpoint: str
    source: str
    n_observations: int
    model: CompositeModel
    defaults: dict[str, float] = field(default_factory=dict)
    #: What an incremental refit reuses (``fit_profiles(..., previous=...)``).
    state: FitState | None = None
    #: The coefficients' covariance experiment design plans with while the endpoint has
    #: the reference law's shape and fewer runs than its law has terms, too few to show
    #: its shape (``None`` otherwise, and design takes ``model.cov_``): under a wider shape
    #: doubt (:data:`EXPLORE_DOUBT`) than the predictions', so that its first runs spread
    #: over what the shape leaves open.
    explore: NDArray | None = None
    #: Whether the prior's shape was learned from other observed endpoints (``False``: the
    #: reference law's, until a second endpoint has been observed).  Only a learned shape
    #: lets design calibrate with short runs (:data:`profiler.design.CHEAP_RUNS`); only the
    #: reference law's is explored (:attr:`explore`).
    learned_shape: bool = True

    def rows(self, samples: ArrayLike, epochs: ArrayLike, batch_size: ArrayLike,
             threads: ArrayLike | None = None, model_params: ArrayLike | None = None,
             bytes: ArrayLike | None = None) -> NDArray:
        """Query rows in :data:`~profiler.composite.FEATURES` order (broadcasting)."""
        given = {"threads": threads, "model_params": model_params, "bytes": bytes}
        cols = [samples, epochs, batch_size] + [
            self.defaults.get(k, 0.0) if v is None else v for k, v in given.items()]
        return np.column_stack(np.broadcast_arrays(*[np.asarray(c, float) for c in cols]))

    def quantiles(self, X: NDArray) -> NDArray:
        """``(n, 3)`` p10/p50/p90 for rows of ``X`` (columns ``FEATURES``)."""
        m = self.model
        return law_quantiles(m.basis(X), m.coef_, m.cov_, m.sigma_)

    def predict(self, samples: int, epochs: int, batch_size: int, *,
                threads: int | None = None, model_params: int | None = None,
                bytes: int | None = None) -> Quantiles:
        """Predicted seconds of one task as p10/p50/p90."""
        q = self.quantiles(self.rows(samples, epochs, batch_size, threads, model_params,
                                     bytes))[0]
        return Quantiles(float(q[0]), float(q[1]), float(q[2]))

    def epoch_cost(self, samples: int, batch_size: int) -> tuple[float, float]:
        """``(overhead_s, seconds_per_epoch)`` at the median, for analytic balancing."""
        once, per_epoch = self.model.epoch_split(self.rows(samples, 1, batch_size))
        return float(once[0]), float(per_epoch[0])


def observation_matrix(observations: Iterable) -> tuple[NDArray, NDArray]:
    """``(X, seconds)`` from observation records (columns ``FEATURES``)."""
    obs = list(observations)
    X = np.array([[getattr(o, f) for f in FEATURES] for o in obs], dtype=float)
    return X.reshape(-1, len(FEATURES)), np.array([o.seconds for o in obs], dtype=float)


def usable(o, task: str) -> bool:
    """A finished run of ``task`` with a positive duration (failures say nothing of speed)."""
    return o.task == task and o.ok and o.seconds > 0


def fit_profiles(observations: Iterable, hardware: Mapping[str, HardwareSpec],
                 task: str = "train", *, variables: tuple[str, ...] | None = None,
                 previous: Mapping[str, Profile] | None = None) -> dict[str, Profile]:
    """Fit one profile per endpoint named in ``hardware``.

    Parameters
    ----------
    observations:
        Records with the observation record's attributes (``delta.observations``).
    hardware:
        Endpoint id to hardware description; endpoints not named here are ignored.
    task:
        The task kind to model.
    variables:
        Composite variables to use; default: those the observations vary.
    previous:
        The profiles of the last refit (e.g. the round before), for an incremental refit:
        an endpoint whose runs are unchanged keeps its first-pass fit (:class:`FitState`),
        so that pass costs only the endpoints that reported new runs.  The result is
        exactly that of a refit from scratch.  (The second pass depends on the fleet, which
        moved, so it is redone.)

    Returns
    -------
    dict
        Endpoint id to :class:`Profile`; ``source`` is ``"observations"`` when the endpoint
        has runs of its own and ``"hardware prior"`` otherwise.
    """
    by_ep: dict[str, list] = defaultdict(list)
    for o in observations:
        if usable(o, task) and o.endpoint in hardware:
            by_ep[o.endpoint].append(o)
    data = {ep: observation_matrix(obs) for ep, obs in by_ep.items()}
    X_all = (np.vstack([X for X, _ in data.values()]) if data
             else np.zeros((0, len(FEATURES))))
    if variables is None:
        # A variable that varies only across endpoints (threads = cores) is hardware: the
        # prior covers it.  The law needs what varies within some endpoint's runs.
        found = {v for X, _ in data.values() for v in active_variables(X)}
        variables = tuple(v for v in VARIABLES if v in found) or ("work",)
    defaults = {k: float(np.median(X_all[:, FEATURES.index(k)])) if len(X_all) else 0.0
                for k in ("threads", "model_params", "bytes")}
    ref = (np.unique(X_all, axis=0)[-MAX_REFERENCE_ROWS:] if len(X_all)
           else np.array([TYPICAL_TASK]))

    # Pass 1: every observed endpoint alone (its run noise, and its law's shape).
    features = dict(zip(hardware, hardware_features(list(hardware.values()))))
    digests = {ep: _digest(X, y, features[ep]) for ep, (X, y) in data.items()}
    states = {ep: previous[ep].state
              if previous and _unchanged(previous.get(ep), digests[ep], variables)
              else _first_pass(variables, X, y, features[ep], digests[ep])
              for ep, (X, y) in data.items()}
    alone = {ep: state.alone for ep, state in states.items()}
    # The fleet each prior is learned from, summarised once (leaving an endpoint out of it
    # is a downdate, so a refit stays linear in the fleet).  With nobody else observed,
    # the reference law (Keras training on a reference machine) stands in for the fleet,
    # with a wide doubt about its speed and its shape.
    fleet = (_FleetPrior(variables, ref, {ep: s.shaped for ep, s in states.items()}, features)
             if states else None)
    reference = _reference_pool(variables, ref) if len(states) < 2 else None
    profiles: dict[str, Profile] = {}
    # Endpoints with no runs and the same hardware get the same prior model (fleets of
    # thousands of identical devices refit in milliseconds); distinct hardware without
    # runs is modelled in one batch below.
    unobserved: dict[HardwareSpec, list[str]] = defaultdict(list)
    for ep, hw in hardware.items():
        if ep not in data:
            unobserved[hw].append(ep)
            continue
        X, y = data[ep]
        ep_defaults = {k: float(np.median(X[:, FEATURES.index(k)])) for k in defaults}
        pool = fleet if fleet is not None and fleet.m > 1 else reference
        model, explore = pool.fit(ep, features[ep], X, y, alone[ep])
        profiles[ep] = Profile(ep, "observations", len(y), model, ep_defaults, states[ep],
                               explore, learned_shape=pool is fleet)
    if unobserved:
        pool = fleet if fleet is not None else reference
        models = pool.prior_models([features[eps[0]] for eps in unobserved.values()])
        for eps, (model, explore) in zip(unobserved.values(), models):
            for ep in eps:
                profiles[ep] = Profile(ep, "hardware prior", 0, model, defaults,
                                       explore=explore, learned_shape=pool is fleet)
    return {ep: profiles[ep] for ep in hardware}


def _first_pass(variables: tuple[str, ...], X: NDArray, y: NDArray, features: NDArray,
                digest: bytes) -> FitState:
    """An endpoint's runs (``X, y``, hardware ``features``) fitted on their own.

    Under a weak prior for the run noise they show and, if the runs tell every term of the
    law, for the shape they give the fleet.  If they leave some open, the shape they give
    is their fit under the reference law's prior with a wide doubt
    (:data:`FILL_SHAPE_SPREAD`): under the weak prior, what the runs left open was filled
    with the prior's minimum-norm values, and two endpoints with a few runs each learned a
    shape from each other that was worse than first principles (one run each: 57% median
    error against 21% alone); first principles fill it now, and the runs decide the rest.
    (Filled where the runs tell every term too, exact laws without a per-epoch cost took
    one from the reference law, and a balanced plan's finish times spread 17%.)
    """
    alone = CompositeModel(variables=variables).fit(X, y)
    basis = alone.basis(X)
    scale = np.abs(basis).max(axis=0)
    if np.linalg.matrix_rank(basis / np.where(scale > 0, scale, 1.0)) >= basis.shape[1]:
        return FitState(alone, alone, digest)  # the runs tell every term: nothing to fill
    rows = np.unique(X, axis=0)[-MAX_REFERENCE_ROWS:]
    # A term the runs never exercise (model size where none was recorded) is not theirs:
    # its cost is in the terms they did exercise.
    unexercised = scale == 0
    pool = _reference_pool(variables, rows, unexercised, FILL_SHAPE_SPREAD, explore=False)
    shaped, _ = pool.fit(None, features, X, y, alone)
    return FitState(alone, shaped, digest)


def _reference_pool(variables: tuple[str, ...], ref: NDArray, drop: NDArray | None = None,
                    shape_spread: float = REFERENCE_SHAPE_SPREAD,
                    explore: bool = True) -> _FleetPrior:
    """The reference law (without the terms ``drop`` masks) as a pool of one, with a wide
    doubt about its speed and ``shape_spread`` about its shape (explored: ``explore``)."""
    return _FleetPrior(variables, ref, {REFERENCE: _reference_model(variables, drop)},
                       {REFERENCE: hardware_features([HardwareSpec()])[0]},
                       min_spread=UNCALIBRATED_SIGMA, shape_spread=shape_spread,
                       explore=explore)


def _digest(X: NDArray, y: NDArray, features: NDArray) -> bytes:
    """A fingerprint of an endpoint's runs and hardware (to tell unchanged ones at the
    next refit)."""
    h = hashlib.blake2b(digest_size=16)
    for a in (X, y, features):
        h.update(np.ascontiguousarray(a, dtype=float).tobytes())
    return h.digest()


def _unchanged(old: Profile | None, digest: bytes, variables: tuple[str, ...]) -> bool:
    """Whether ``old`` was fitted on exactly these runs with these variables."""
    return (old is not None and old.state is not None and old.state.digest == digest
            and tuple(old.state.alone.variables) == tuple(variables))


class _FleetPrior:
    """Coefficient priors for endpoints learned from a pool of fitted laws.

    The pool gives the law's shape; an endpoint's speed comes from its hardware (the
    learned hardware law, :class:`~profiler.prior.HardwarePrior`) combined, on a log
    scale, with the speed its own runs show, so that even one run moves the whole law and
    never a cliff.  The work scales with the speed; the per-task overhead is a line in
    the speed across the pool (:class:`~profiler.fleet.Fleet`): start-up and tracing are
    compute, dispatch is not.  With ``explore`` (the reference law's pool), endpoints with
    fewer runs than terms get :attr:`Profile.explore`.
    """

    def __init__(self, variables: tuple[str, ...], ref: NDArray,
                 pool: Mapping[str, CompositeModel], features: Mapping[str, NDArray],
                 min_spread: float = 0.0, shape_spread: float = SHAPE_SPREAD,
                 explore: bool = False):
        model = CompositeModel(variables=variables)
        self.model, self.min_spread, self.m = model, min_spread, len(pool)
        self.shape_spread, self.explore = shape_spread, explore
        self.scaled = _work_mask(model)
        self.ref_basis = model.basis(ref)
        scaled = self.scaled
        work_rows = (self.ref_basis[:, scaled] > 0).any(axis=1)
        ref_work = (self.ref_basis[work_rows][:, scaled] if work_rows.any()
                    else np.ones((1, scaled.sum())))
        self.index = {ep: i for i, ep in enumerate(pool)}
        coefs = np.array([m.coef_ for m in pool.values()]).reshape(len(pool), -1)
        scales = np.log(np.maximum(ref_work @ coefs[:, scaled].T, 1e-12)).mean(axis=0)
        self.fleet = Fleet(coefs, scales, np.array([features[ep] for ep in pool]),
                           np.array([m.sigma_ for m in pool.values()]), scaled)

    def view(self, ep: str | None) -> FleetView:
        """The pool without ``ep`` (the whole pool if ``ep`` is not in it)."""
        return self.fleet.view(self.index.get(ep))

    def fit(self, ep: str | None, features: NDArray, X: NDArray, y: NDArray,
            alone: CompositeModel) -> tuple[CompositeModel, NDArray | None]:
        """Endpoint ``ep``'s runs ``X, y`` fitted under its prior from the rest of the pool,
        and its :attr:`Profile.explore`; ``alone`` is its fit under a weak prior."""
        view = self.view(ep)
        # Run noise: the endpoint's own residuals from the fit without the pool's prior (a
        # prior the data disagree with must not inflate it), shrunk to the pool's noise.
        noise = shrunk_noise(alone.residual_spread_, alone.dof_, view.noise)
        mean, cov, explore = self.prior(view, features, X, y, noise)
        model = CompositeModel(variables=self.model.variables, prior_mean=mean,
                               prior_cov=cov, noise_prior=noise, noise_fixed=True,
                               calibrate=True).fit(X, y)
        return model, explore

    def prior(self, view: FleetView, features: NDArray, X: NDArray, y: NDArray,
              noise: float) -> tuple[NDArray, NDArray, NDArray | None]:
        """Coefficient prior ``(mean, cov, explore)`` of an endpoint (hardware
        ``features``, runs ``X, y`` with relative noise ``noise``) from ``view``.

        ``explore`` is :attr:`Profile.explore` for an endpoint with fewer runs than the
        law has terms if the pool is explored (``None`` otherwise): the covariance under
        :data:`EXPLORE_DOUBT` times the shape doubt, given the runs (a rank-n update of
        that prior, in relative units).
        """
        scaled, shape = self.scaled, view.shape
        log_scale = float(view.log_scale(features)[0])
        spread = max(view.spread, self.min_spread)
        basis = self.model.basis(X)
        if len(y):
            own, own_sd = own_log_scale(basis @ view.offset, basis @ shape, y, log_scale)
            prec = spread**-2 + own_sd**-2
            log_scale = (log_scale * spread**-2 + own * own_sd**-2) / prec
            spread = float(prec**-0.5)
        typical = float(np.median(y)) if len(y) else float(np.exp(view.mean_log_scale))
        def prior(shape_spread: float) -> tuple[NDArray, NDArray]:
            return shape_prior(shape, view.shape_var, view.m, log_scale, spread,
                               self._floor(typical), scaled, shape_spread, view.offset,
                               view.offset_var)

        mean, cov = prior(self.shape_spread)
        # Power prior: the others' shape counts less as the endpoint's own runs
        # accumulate, half as much once it has as many runs as the law has terms.
        power = 1.0 + len(y) / len(mean)
        if not self.explore or len(y) >= len(mean):
            return mean, cov * power, None
        wide = prior(EXPLORE_DOUBT * self.shape_spread)[1] * power
        A = basis / (noise * np.maximum(basis @ mean, 1e-12))[:, None]
        WA = wide @ A.T
        return mean, cov * power, wide - WA @ np.linalg.solve(A @ WA + np.eye(len(y)), WA.T)

    def _floor(self, typical: float) -> NDArray:
        """Least prior spread per coefficient for an endpoint whose runs take ``typical``.

        Work terms keep a fraction of the weak default prior's spread, and so does a term
        no run has exercised (model size when none was recorded but a query asks about
        it): with a spread of zero its prior would say nothing, not "zero", and the fit
        could give it any value.  A fixed cost keeps :data:`FIXED_COST_FLOOR` of a typical
        run at the largest configuration seen.  The pool's doubt about a coefficient is
        relative to the pool's value, so a fixed cost the pool shows as next to none (a
        larger model's build time beside an endpoint where threads hid it) had next to no
        doubt, and the endpoint's own runs could never teach it.  Beside a pool that fit
        0.05 s per Mparam of build, an endpoint with 2 s per Mparam predicted its larger
        model 23% off after 8 runs and still 16% after 30; with the floor 6.5% and 3.3%,
        as from its runs alone (6.2%, 3.5%); ``bench/profiler_accuracy.py``, new endpoint
        after 4 / 6 / 8 designed runs: 13.3 / 13.0 / 12.5% -> 12.8 / 12.3 / 12.3% median
        APE, and after 2 runs the widest tenth of intervals 1.6 -> 1.05 (p90 - p10 over
        p50; an endpoint alone: unchanged).  Where the pool's value was exactly zero, the
        doubt was so small that the fit's pseudo-inverse dropped the prior there while
        design took the cost as known.  (Scaled by the median configuration instead, the
        floor of a cost per Mparam was ~15 s when most runs had the small model, and p10-
        p90 of an endpoint alone spanned a factor of 5-7 in a tenth of the bench's splits.)
        """
        unseen = ~(self.ref_basis != 0).any(axis=0)
        largest = np.abs(self.ref_basis).max(axis=0)
        return np.where(self.scaled | unseen,
                        FLOOR_FRACTION * weak_prior_sd(self.ref_basis, np.array([typical])),
                        FIXED_COST_FLOOR * typical / np.maximum(largest, 1e-12))

    def prior_models(self, features: list[NDArray]) -> list[tuple[CompositeModel, NDArray]]:
        """Fitted models of endpoints without runs, one per row of hardware ``features``,
        each with its :attr:`Profile.explore`.

        With no runs the posterior is the prior, which depends on the hardware only
        through the predicted speed: the priors are built and inverted as one stack.
        """
        view = self.fleet.view()

        def priors(shape_spread: float) -> tuple[NDArray, NDArray]:
            return shape_prior(view.shape, view.shape_var, view.m,
                               view.log_scale(np.array(features)),
                               max(view.spread, self.min_spread),
                               self._floor(float(np.exp(view.mean_log_scale))), self.scaled,
                               shape_spread, view.offset, view.offset_var)

        means, covs = priors(self.shape_spread)
        explore = (priors(EXPLORE_DOUBT * self.shape_spread)[1] if self.explore
                   else [None] * len(means))
        X, y = np.zeros((0, len(FEATURES))), np.zeros(0)
        coefs, posts, exact = prior_posteriors(means, covs)
        out = []
        for mean, cov, coef, post, ok, more in zip(means, covs, coefs, posts, exact, explore):
            model = CompositeModel(variables=self.model.variables, prior_mean=mean,
                                   prior_cov=cov, noise_prior=view.noise, noise_fixed=True)
            out.append((model.fit_prior_only(coef, post) if ok else model.fit(X, y), more))
        return out


def _work_mask(model: CompositeModel) -> NDArray:
    """Which coefficients are work terms (proportional to an endpoint's speed)."""
    return np.array([t.startswith(WORK_TERMS) for t in model.terms])


def _reference_model(variables: tuple[str, ...],
                     drop: NDArray | None = None) -> CompositeModel:
    """The reference law on one unit of capacity (1 GHz, 1 core), as a fitted model;
    without the terms ``drop`` masks."""
    model = CompositeModel(variables=variables)
    mean = np.array([_reference_coef(t, variables) for t in model.terms])
    if drop is not None:
        mean = np.where(drop, 0.0, mean)
    model.set_params(prior_mean=mean, prior_cov=np.diag((1e-3 * mean + 1e-12) ** 2),
                     noise_prior=REFERENCE_NOISE)
    return model.fit(np.zeros((0, len(FEATURES))), np.zeros(0))


def _reference_coef(term: str, variables: tuple[str, ...]) -> float:
    """One coefficient of the reference law (a term of :attr:`CompositeModel.terms`)."""
    base = term.removesuffix("/threads")
    value = REFERENCE_TERMS.get(base, 0.0)
    if "batch" not in variables and base.startswith("per_sample_epoch_s"):
        # Without a per-step term the steps' cost is paid per sample at a typical batch.
        value += REFERENCE_TERMS[base.replace("per_sample_epoch_s", "per_step_s")] / REFERENCE_BATCH
    if "threads" in variables and base.startswith(WORK_TERMS[1:]):
        value /= 2  # work splits evenly into a serial part and one shared by the threads
    return value
