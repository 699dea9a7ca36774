"""Running FL on a testbed: the one entry point behind ``delta run`` and the Python API.

``delta.federated_learning(model, endpoints, rounds=...)`` is FLoX's one-liner with
DELTA's tuning on by default.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from delta.config import Testbed, load_testbed, parse_testbed
from delta.errors import ConfigError

if TYPE_CHECKING:
    from delta.fl.rounds import Event, RunResult


def resolve_builder_name(tb: Testbed, override: str | None = None) -> str:
    """The model builder: the override, the testbed's, or the data source's default.

    Only checks that the module can be found: importing it (and TensorFlow with it) is
    the workers' job.
    """
    from delta.fl.models import DEFAULT_BUILDERS

    builder = override or tb.model.builder
    if builder is None:
        sources = {e.data.source for e in tb.endpoints}
        builder = DEFAULT_BUILDERS.get("sklearn:digits") if sources == {"sklearn:digits"} else None
        if builder is None:
            raise ConfigError("no default model for these data sources; set "
                              "'package.module:function'", field="model.builder")
    module, sep, attr = builder.partition(":")
    if not sep or not module or not attr:
        raise ConfigError(f"must look like 'package.module:function', got {builder!r}",
                          field="model.builder")
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise ConfigError(f"cannot import model builder module {module!r}",
                          field="model.builder")
    return builder


def with_round(tb: Testbed, source: str = "round", **over: int | None) -> Testbed:
    """``tb`` with round defaults (``samples``, ``epochs``, ``batch_size``) overridden.

    Re-validated, so e.g. epochs below ``min_epochs`` is a one-line error, not a silent plan.
    """
    over = {k: v for k, v in over.items() if v is not None}
    if not over:
        return tb
    raw = tb.model_dump(mode="json")
    return parse_testbed(json.dumps({**raw, "round": {**raw["round"], **over}}),
                         source=source)


def default_weighting(strategy: str) -> str:
    """FedAvg's weights when none are asked for: ``sample_epochs`` for ``delta``, whose
    plans move epochs from slow endpoints to fast ones (an update trained longer counts
    more), ``samples`` (FLoX's) for the others, whose epochs are alike or set by hand."""
    return "sample_epochs" if strategy == "delta" else "samples"


def default_checkpoint_dir(tb: Testbed, strategy: str, seed: int) -> Path:
    """``runs/<testbed>-<strategy>-seed<S>`` next to the observation store."""
    from delta.store import default_db_path

    return default_db_path().parent / "runs" / f"{tb.name}-{strategy}-seed{seed}"


def run_testbed(tb: Testbed, **options: Any) -> RunResult:
    """Run FL rounds of ``tb`` on its endpoints to the end.

    Takes the keyword arguments of :func:`iter_testbed`; returns the last
    :class:`~delta.fl.rounds.RunResult`.
    """
    result = None
    for result in iter_testbed(tb, **options):
        pass
    assert result is not None  # iter_testbed always yields at least once
    return result


def iter_testbed(
    tb: Testbed, *, rounds: int | None = None, strategy: str = "delta", seed: int = 0,
    aggregation: str = "fedavg", weighting: str | None = None, mu: float = 0.01,
    staleness: float = 0.5, alpha: float | None = None, calibrate: bool = False,
    margin: float = 0.5, workers: int = 2, learning_rate: float = 0.1,
    builder: str | None = None,
    builder_kwargs: Mapping[str, Any] | None = None, db: str | Path | None = None,
    checkpoint_dir: Path | None = None, resume: bool = False, base_dir: str | None = None,
    executors: Mapping[str, Executor] | None = None, engine: Any = None,
    on_event: Event | None = None, planner: Any = None,
) -> Iterator[RunResult]:
    """Run FL rounds of ``tb``, yielding the run after each round (see
    :func:`delta.fl.rounds.iter_rounds`).

    ``executors`` replaces endpoints' executors by id; ``engine`` (an
    :class:`~delta.fl.executors.engine.EngineExecutor`) is reused instead of starting one,
    or names the local engine to start (``process``, default, or ``parsl``: Globus
    Compute's ``GlobusComputeEngine``);
    ``planner`` makes the ``delta`` strategy plan elsewhere (e.g. a
    :class:`~delta.fl.strategies.service_planner.ServicePlanner`); ``weighting`` defaults
    to :func:`default_weighting` of the strategy; a late update carried into the next
    round counts ``2 ** -staleness`` times its weight.

    Raises
    ------
    ConfigError
        Bad settings, one line naming the field.
    """
    # Everything a user can get wrong is checked before the heavy imports below.
    rounds = tb.rounds if rounds is None else rounds
    if rounds < 1:
        raise ConfigError(f"must be at least 1, got {rounds}", field="--rounds")
    if alpha is not None and not alpha > 0:
        raise ConfigError(f"must be positive, got {alpha:g}", field="--non-iid")
    if workers < 1:
        raise ConfigError(f"must be at least 1, got {workers}", field="--workers")
    from delta.fl.executors.engine import ENGINES  # light: the engines load on start

    if isinstance(engine, str) and engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r} (use {' or '.join(ENGINES)})",
                          field="--engine")
    if not learning_rate > 0:
        raise ConfigError(f"must be positive, got {learning_rate:g}", field="--learning-rate")
    if aggregation not in ("fedavg", "fedprox"):
        raise ConfigError(f"unknown aggregation {aggregation!r} (use fedavg or fedprox)",
                          field="--aggregation")
    if weighting is None:
        weighting = default_weighting(strategy)
    if weighting not in ("samples", "sample_epochs", "equal"):
        raise ConfigError(f"unknown weighting {weighting!r} (use samples, sample_epochs or "
                          "equal)", field="--weighting")
    if not mu >= 0 or not margin >= 0:
        raise ConfigError("must not be negative", field="--mu" if not mu >= 0 else "--margin")
    if not staleness >= 0:
        raise ConfigError(f"must not be negative, got {staleness:g}", field="--staleness")
    builder = resolve_builder_name(tb, builder)
    tb = tb.model_copy(update={"rounds": rounds})  # data moves amortise over the run's rounds
    from delta.fl.strategies import make_strategy

    strat = make_strategy(strategy, calibrate=calibrate, margin=margin, planner=planner)

    from delta.fl.aggregation import make_aggregator
    from delta.fl.data import endpoint_specs
    from delta.fl.dispatch import Dispatch
    from delta.fl.rounds import RunSettings, iter_rounds
    from delta.store import Store

    agg = make_aggregator(aggregation, weighting=weighting, mu=mu,
                          staleness_exponent=staleness)
    settings = RunSettings(
        strategy=strat, rounds=rounds, builder=builder, seed=seed,
        aggregator=agg, builder_kwargs=dict(builder_kwargs or {}), learning_rate=learning_rate,
        validation=({"source": "sklearn:digits", "split": "validation"}
                    if all(e.data.source == "sklearn:digits" for e in tb.endpoints) else None),
    )
    data = endpoint_specs(list(tb.endpoints), seed, alpha, base_dir)
    with Store(db) as store, Dispatch(tb, seed=seed, workers=workers, overrides=executors,
                                      engine=engine) as dispatch:
        if any(getattr(x, "clock", "wall") == "virtual" for x in dispatch.executors.values()):
            from delta.fl.executors.emulated import warm_up
            from delta.fl.task import train_task

            first = next(iter(data.values()))
            warm_up(dispatch.engine, workers, train_task, builder, None, first, 32, 1, 32,
                    builder_kwargs=settings.builder_kwargs)
        yield from iter_rounds(tb, settings, dispatch.executors, dispatch.engine, data,
                               store=store, checkpoint_dir=checkpoint_dir, resume=resume,
                               on_event=on_event)


def _builder_name(model: str | Callable | None) -> str | None:
    if model is None or isinstance(model, str):
        return model
    module, name = getattr(model, "__module__", None), getattr(model, "__qualname__", "")
    if not module or module == "__main__" or "<" in name:
        raise ConfigError("pass the model builder as 'package.module:function' or an "
                          "importable function (workers import it by name)", field="model")
    return f"{module}:{name}"


def federated_learning(
    model: str | Callable | None = None,
    endpoints: str | Path | Testbed | Sequence[str | Mapping[str, Any]] = (),
    rounds: int = 5,
    *,
    strategy: str = "delta",
    samples: int | None = None,
    epochs: int | None = None,
    batch_size: int | None = None,
    data_source: str = "sklearn:digits",
    seed: int = 0,
    **options: Any,
) -> RunResult:
    """FL in one line, FLoX style, tuned by DELTA.

    Parameters
    ----------
    model:
        The model builder: ``"package.module:function"`` or an importable function
        returning a ``keras.Model`` (``None``: the data source's default small model).
    endpoints:
        A testbed file or :class:`~delta.config.Testbed`, or a list of Globus Compute
        endpoint ids (strings) or endpoint mappings in the testbed's endpoint schema.
    rounds:
        FL rounds.
    strategy:
        ``delta`` (default: learned samples and epochs per endpoint), ``uniform`` or
        ``proportional``.
    samples, epochs, batch_size:
        Round defaults (override the testbed's ``round`` block).
    data_source:
        For endpoints given as ids: where their data comes from.
    options:
        Passed to :func:`run_testbed` (``aggregation``, ``alpha``, ``db``, ...).

    Returns
    -------
    RunResult
        ``record`` (per round: elapsed seconds, accuracy, per endpoint work and outcome)
        and ``weights`` (the global model's numpy arrays).

    Examples
    --------
    >>> import delta
    >>> result = delta.federated_learning(None, "examples/flox-testbed.yaml", rounds=3)
    ... # doctest: +SKIP
    """
    base_dir = None
    if isinstance(endpoints, str | Path):
        tb = load_testbed(endpoints)
        base_dir = str(Path(endpoints).resolve().parent)
    elif isinstance(endpoints, Testbed):
        tb = endpoints
    else:
        eps = [{"id": e, "executor": {"kind": "globus", "endpoint_id": e},
                "data": {"source": data_source}} if isinstance(e, str) else dict(e)
               for e in endpoints]
        if not eps:
            raise ConfigError("no endpoints given", field="endpoints")
        tb = parse_testbed(json.dumps({"name": "federated-learning", "endpoints": eps}),
                           source="endpoints")
    tb = with_round(tb, "federated_learning", samples=samples, epochs=epochs,
                    batch_size=batch_size)
    return run_testbed(tb, rounds=rounds, strategy=strategy, seed=seed,
                       builder=_builder_name(model), base_dir=base_dir, **options)
