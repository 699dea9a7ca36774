"""Per-endpoint profiles: composite models with a hardware prior for cold start.

:func:`fit_profiles` is what the planner calls after every round.  Each endpoint's
composite model is fitted with a prior learned from the *other* endpoints (their law's
shape, scaled by the speed their hardware predicts), so an endpoint with no runs is
planned from its hardware and its own runs take over smoothly as they arrive.  Everything
is small linear algebra: a refit of a hundred endpoints takes well under a second.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from profiler.base import Quantiles
from profiler.composite import FEATURES, VARIABLES, CompositeModel, active_variables
from profiler.hardware import HardwareSpec
from profiler.law import law_quantiles, shrunk_noise, weak_prior_sd
from profiler.prior import HardwarePrior, coefficient_prior, hardware_features, own_log_scale

#: The reference law: a small Keras MLP on one unit of capacity (1 GHz, 1 core), measured
#: on the bench grid (bench/profiler_accuracy.py) and scaled to its 2 GHz; the shape of the
#: law (and its speed) until a second endpoint has been observed.  REFERENCE_K is the
#: per-sample-epoch cost at batch size 32 when batch size does not vary.
REFERENCE_OVERHEAD_S = 1.0
REFERENCE_PER_STEP_S = 4.0e-3
REFERENCE_PER_SAMPLE_S = 6.0e-5
REFERENCE_K = REFERENCE_PER_STEP_S / 32 + REFERENCE_PER_SAMPLE_S
REFERENCE = "<reference law>"
#: Run-to-run noise assumed before any endpoint has shown its own (training tasks on shared
#: machines vary by tens of percent).
REFERENCE_NOISE = 0.3
#: Log-scale spread of a prior that rests on no observations at all.
UNCALIBRATED_SIGMA = 1.0
#: Prior spread every coefficient keeps, as a fraction of the weak default prior's.
FLOOR_FRACTION = 0.005
#: Configuration rows used to compare endpoints' speed (the most recent of them).
MAX_REFERENCE_ROWS = 200


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
                 ) -> dict[str, Profile]:
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
    ref = np.unique(X_all, axis=0)[-MAX_REFERENCE_ROWS:] if len(X_all) else X_all

    # Pass 1: every observed endpoint alone, with a weak prior (for its law's shape).
    alone = {ep: CompositeModel(variables=variables).fit(X, y) for ep, (X, y) in data.items()}
    profiles: dict[str, Profile] = {}
    # Endpoints with no runs and the same hardware get the same prior model (fleets of
    # thousands of identical devices refit in milliseconds).
    unobserved: dict[HardwareSpec, CompositeModel] = {}
    for ep, hw in hardware.items():
        X, y = data.get(ep, (np.zeros((0, len(FEATURES))), np.zeros(0)))
        if not len(y) and hw in unobserved:
            profiles[ep] = Profile(ep, "hardware prior", 0, unobserved[hw], defaults)
            continue
        others = [o for o in alone if o != ep]
        ep_defaults = ({k: float(np.median(X[:, FEATURES.index(k)])) for k in defaults}
                       if len(X) else defaults)
        pool, pool_hw, min_spread, pooled_overhead = alone, hardware, 0.0, True
        if not others:
            # Nobody else observed: the reference law (a small Keras model on a reference
            # machine) stands in for the fleet, with a wide doubt about its speed.
            pool = {**alone, REFERENCE: _reference_model(variables)}
            pool_hw, others = {**hardware, REFERENCE: HardwareSpec()}, [REFERENCE]
            # Its start-up is a guess too: scale it with the endpoint's speed.
            min_spread, pooled_overhead = UNCALIBRATED_SIGMA, False
        mean, cov = _prior_from(others, pool, pool_hw, hw, ref, X, y, min_spread,
                                pooled_overhead)
        # Run noise: the endpoint's own residuals from the fit without the fleet prior (a
        # prior the data disagree with must not inflate it), shrunk to the fleet's noise.
        noise = float(np.median([pool[o].sigma_ for o in others]))
        if len(y):
            noise = shrunk_noise(alone[ep].residual_spread_, alone[ep].dof_, noise)
        model = CompositeModel(variables=variables, prior_mean=mean, prior_cov=cov,
                               noise_prior=noise, noise_fixed=True).fit(X, y)
        if not len(y):
            unobserved[hw] = model
        source = "observations" if len(y) else "hardware prior"
        profiles[ep] = Profile(ep, source, len(y), model, ep_defaults)
    return profiles


def _work_mask(model: CompositeModel) -> NDArray:
    """Which coefficients are work terms (they scale with an endpoint's speed)."""
    return np.array([t.startswith(("per_step", "per_sample")) for t in model.terms])


def _prior_from(others: list[str], alone: Mapping[str, CompositeModel],
                hardware: Mapping[str, HardwareSpec], hw: HardwareSpec, ref: NDArray,
                X: NDArray, y: NDArray, min_spread: float = 0.0,
                pooled_overhead: bool = True) -> tuple[NDArray, NDArray]:
    """Coefficient prior for an endpoint (hardware ``hw``, own runs ``X, y``) from the others.

    The others give the law's shape; the endpoint's speed comes from its hardware (the
    learned :class:`~profiler.prior.HardwarePrior`) combined, on a log scale, with the speed
    its own runs show, so that even one run moves the whole law and never a cliff.
    Per-task overhead (dispatch, start-up) is pooled across the others unscaled when
    ``pooled_overhead``; otherwise it scales with the speed like the work.
    """
    model = alone[others[0]]
    scaled = _work_mask(model) if pooled_overhead else np.ones(len(model.terms), dtype=bool)
    ref_basis = model.basis(ref)
    work_rows = (ref_basis[:, scaled] > 0).any(axis=1)
    ref_work = ref_basis[work_rows][:, scaled] if work_rows.any() else np.ones((1, scaled.sum()))
    coefs = np.array([alone[o].coef_ for o in others])
    scales = np.log(np.maximum(ref_work @ coefs[:, scaled].T, 1e-12)).mean(axis=0)
    hp = HardwarePrior().fit(hardware_features([hardware[o] for o in others]), scales)
    log_scale = float(hp.predict(hardware_features([hw]))[0])
    spread = max(hp.spread_, min_spread)
    shape = (coefs * np.where(scaled, np.exp(-scales)[:, None], 1.0)).mean(axis=0)
    if len(y):
        basis = model.basis(X)
        own, own_sd = own_log_scale(basis[:, ~scaled] @ shape[~scaled],
                                    basis[:, scaled] @ shape[scaled], y, log_scale)
        prec = spread**-2 + own_sd**-2
        log_scale = (log_scale * spread**-2 + own * own_sd**-2) / prec
        spread = float(prec**-0.5)
    typical = float(np.median(y)) if len(y) else float(np.exp(scales.mean()))
    # Overhead terms are pooled from the others; only work terms need a floor.
    floor = np.where(scaled, FLOOR_FRACTION * weak_prior_sd(ref_basis, np.array([typical])), 0.0)
    mean, cov = coefficient_prior(coefs, scales, log_scale, spread, floor, scaled)
    # Power prior: the others' shape counts less as the endpoint's own runs accumulate,
    # half as much once it has as many runs as the law has terms.
    return mean, cov * (1.0 + len(y) / len(mean))


def _reference_model(variables: tuple[str, ...]) -> CompositeModel:
    """The reference law on one unit of capacity (1 GHz, 1 core), as a fitted model."""
    model = CompositeModel(variables=variables)
    terms = model.terms
    mean = np.zeros(len(terms))
    mean[terms.index("start_up_s")] = REFERENCE_OVERHEAD_S
    if "per_step_s" in terms:
        mean[terms.index("per_step_s")] = REFERENCE_PER_STEP_S
        mean[terms.index("per_sample_epoch_s")] = REFERENCE_PER_SAMPLE_S
    elif "per_sample_epoch_s" in terms:
        mean[terms.index("per_sample_epoch_s")] = REFERENCE_K
    model.set_params(prior_mean=mean, prior_cov=np.diag((1e-3 * mean + 1e-12) ** 2),
                     noise_prior=REFERENCE_NOISE)
    return model.fit(np.zeros((0, len(FEATURES))), np.zeros(0))
