"""The ``delta.v1.Delta`` servicer: requests in, the planning core called, replies out.

Errors are translated once, here: a :class:`~delta.errors.DeltaError` becomes
``INVALID_ARGUMENT`` with its one-line message (which names the field), an
:class:`~delta.errors.InfeasibleError` ``FAILED_PRECONDITION``; bad input never reaches
the client as ``UNKNOWN`` or ``INTERNAL``.

The Plan path is cached by content: a plan depends only on the request and on the
stored observations, so identical requests between two reports reuse one answer.
"""

from __future__ import annotations

import functools
import logging
import math
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC
from typing import Any, TypeVar

import grpc

from delta._proto import delta_pb2 as pb
from delta._proto import delta_pb2_grpc
from delta.config import Testbed
from delta.errors import ConfigError, DeltaError, InfeasibleError, ObservationError
from delta.observations import Observation
from delta.planning import check_known_endpoints, hardware_spec, plan_testbed
from delta.service import convert
from delta.service.backends import Candidate, CostForecaster, ExperimentDesigner
from delta.store import Store
from profiler.profiles import fit_profiles

log = logging.getLogger(__name__)

#: Most observations accepted in one ReportObservations call (and sent along with a plan).
MAX_BATCH = 10_000
MAX_KEY_LENGTH = 200
_CACHE_SIZE = 256
_INT64_MAX = 2**63 - 1

R = TypeVar("R")


def _translated(method: Callable[..., R]) -> Callable[..., R]:
    """Turn domain errors into gRPC statuses, once for every RPC."""

    @functools.wraps(method)
    def wrapper(self: DeltaServicer, request: Any, context: grpc.ServicerContext) -> R:
        try:
            return method(self, request, context)
        except InfeasibleError as exc:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(exc))
        except DeltaError as exc:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        raise AssertionError("unreachable: context.abort raises")

    return wrapper


@contextmanager
def _core_numerics() -> Iterator[None]:
    """Numeric failures of the planning core on validated input are input problems.

    They point at a degenerate fit (e.g. observations that contradict each other), so the
    client hears INVALID_ARGUMENT about its observations, and the log keeps the traceback
    for whoever fixes the core.
    """
    try:
        yield
    except (ArithmeticError, ValueError) as exc:
        log.warning("planning core failed on validated input", exc_info=True)
        raise ObservationError(f"cannot plan from these observations: the runtime model "
                               f"degenerates ({exc})", field="observations") from None


def _count(value: int, name: str, *, minimum: int = 0) -> int:
    if value < minimum:
        raise ConfigError(f"must be at least {minimum}, got {value}", field=name)
    convert.check_range(value, name, convert.MAX_COUNT)
    return value


def _check_batch(request: Any) -> None:
    if len(request.observations) > MAX_BATCH:
        raise ObservationError(f"at most {MAX_BATCH} per call, got {len(request.observations)}",
                               field="observations")


def _testbed_key(request: Any) -> tuple[str | None, str | bytes]:
    kind = request.WhichOneof("testbed_source")
    if kind == "testbed":
        return kind, request.testbed.SerializeToString(deterministic=True)
    return kind, request.testbed_yaml


class DeltaServicer(delta_pb2_grpc.DeltaServicer):
    """Serves plans, predictions and profiles from one observation store.

    Parameters
    ----------
    store_path:
        The SQLite observation store; opened twice, for writing and for reading, so a
        Plan never waits behind a report's commit.
    forecaster:
        The spot-price predictor behind ForecastCost; ``None`` answers FAILED_PRECONDITION.
    designer:
        The experiment design behind SuggestExperiments; ``None`` answers FAILED_PRECONDITION.
    """

    def __init__(self, store_path: str, *, forecaster: CostForecaster | None = None,
                 designer: ExperimentDesigner | None = None):
        self._writer = Store(store_path)
        self._reader = Store(store_path)
        self._write_lock = threading.Lock()
        self._read_lock = threading.Lock()
        self._forecaster = forecaster
        self._designer = designer
        # Every stored observation by endpoint, in store order, appended as new rows
        # appear. A plan's cache key holds how many of them each of its endpoints has, so
        # reports about other endpoints leave its cached plan valid.
        self._by_endpoint: dict[str, list[Observation]] = defaultdict(list)
        self._last_id = 0
        self._testbed = functools.lru_cache(maxsize=_CACHE_SIZE)(convert.testbed_from_proto)
        self._plan = functools.lru_cache(maxsize=_CACHE_SIZE)(self._plan_uncached)
        self._profiles = functools.lru_cache(maxsize=_CACHE_SIZE)(self._profiles_uncached)

    def close(self) -> None:
        self._writer.close()
        self._reader.close()

    # ------------------------------------------------------------------ shared inputs

    def _version(self, tb: Testbed, ignore_store: bool) -> tuple[int, ...]:
        """Catch up with rows committed since the last call (by this or another process);
        the number of stored observations of each of ``tb``'s endpoints."""
        if ignore_store:
            return ()
        with self._read_lock:
            self._last_id, new = self._reader.observations_after(self._last_id)
            for o in new:
                self._by_endpoint[o.endpoint].append(o)
        return tuple(len(self._by_endpoint.get(e.id, ())) for e in tb.endpoints)

    def _observations(self, tb: Testbed, sent: bytes,
                      version: tuple[int, ...]) -> list[Observation]:
        extra = convert.observations_from_proto(pb.ReportObservationsRequest.FromString(sent)
                                                .observations)
        check_known_endpoints(tb, extra, None)
        stored = [o for e, n in zip(tb.endpoints, version)
                  for o in self._by_endpoint.get(e.id, [])[:n]]
        return [*stored, *extra]

    @staticmethod
    def _sent(request: Any) -> bytes:
        """The request's observations as bytes: the cache key part they contribute."""
        _check_batch(request)
        return pb.ReportObservationsRequest(observations=request.observations).SerializeToString(
            deterministic=True)

    def _profiles_uncached(self, tb_key: tuple[str | None, str | bytes], sent: bytes,
                           version: tuple[int, ...]) -> tuple[Testbed, dict[str, Any]]:
        tb = self._testbed(*tb_key)
        obs = self._observations(tb, sent, version)
        hardware = {e.id: hardware_spec(e.hardware) for e in tb.endpoints}
        with _core_numerics():
            return tb, fit_profiles(obs, hardware)

    def _plan_uncached(self, tb_key: tuple[str | None, str | bytes], sent: bytes,
                       deadline_s: float | None, version: tuple[int, ...]) -> pb.PlanResponse:
        tb = self._testbed(*tb_key)
        obs = self._observations(tb, sent, version)
        with _core_numerics():
            plan = plan_testbed(tb, obs, deadline_s=deadline_s).to_dict()
        _check_int64(plan)
        return convert.plan_to_proto(plan)

    def _fitted(self, request: Any) -> tuple[Testbed, dict[str, Any]]:
        sent = self._sent(request)
        tb_key = _testbed_key(request)
        version = self._version(self._testbed(*tb_key), request.ignore_store)
        return self._profiles(tb_key, sent, version)

    # ------------------------------------------------------------------ RPCs

    @_translated
    def Plan(self, request: pb.PlanRequest, context: grpc.ServicerContext) -> pb.PlanResponse:
        deadline: float | None = None
        if request.HasField("deadline_s"):
            deadline = request.deadline_s
            if not (math.isfinite(deadline) and deadline > 0):
                raise ConfigError(f"must be a positive number, got {deadline}",
                                  field="deadline_s")
            convert.check_range(deadline, "deadline_s", convert.MAX_SECONDS)
        sent = self._sent(request)
        tb_key = _testbed_key(request)
        version = self._version(self._testbed(*tb_key), request.ignore_store)
        return self._plan(tb_key, sent, deadline, version)

    @_translated
    def ReportObservations(self, request: pb.ReportObservationsRequest,
                           context: grpc.ServicerContext) -> pb.ReportObservationsResponse:
        _check_batch(request)
        key = request.idempotency_key
        if len(key) > MAX_KEY_LENGTH:
            raise ObservationError(f"longer than {MAX_KEY_LENGTH} characters",
                                   field="idempotency_key")
        obs = convert.observations_from_proto(request.observations)
        # The reply goes out only after the commit (synchronous=FULL) returned.
        with self._write_lock:
            if key:
                stored, duplicate = self._writer.add_once(key, obs)
            else:
                stored, duplicate = self._writer.add(obs), False
        return pb.ReportObservationsResponse(stored=stored, duplicate=duplicate)

    @_translated
    def PredictRuntime(self, request: pb.PredictRuntimeRequest,
                       context: grpc.ServicerContext) -> pb.PredictRuntimeResponse:
        samples = _count(request.samples, "samples", minimum=1)
        epochs = _count(request.epochs, "epochs", minimum=1)
        batch = _count(request.batch_size, "batch_size")
        tb, profiles = self._fitted(request)
        if request.endpoint not in profiles:
            raise ConfigError(f"unknown endpoint {request.endpoint!r}", field="endpoint")
        p = profiles[request.endpoint]
        with _core_numerics():
            q = p.predict(samples, epochs, batch or tb.round.batch_size)
        return pb.PredictRuntimeResponse(seconds=convert.quantiles_to_proto(q),
                                         profile=p.source, n_observations=p.n_observations)

    @_translated
    def GetProfile(self, request: pb.GetProfileRequest,
                   context: grpc.ServicerContext) -> pb.GetProfileResponse:
        tb, profiles = self._fitted(request)
        wanted = list(request.endpoints) or [e.id for e in tb.endpoints]
        for i, ep in enumerate(wanted):
            if ep not in profiles:
                raise ConfigError(f"unknown endpoint {ep!r}", field=f"endpoints[{i}]")
        r = tb.round
        out = []
        for ep in wanted:
            p = profiles[ep]
            with _core_numerics():
                overhead, per_epoch = p.epoch_cost(r.samples, r.batch_size)
                fixed = p.epoch_cost(0, r.batch_size)[1]
                q = p.predict(r.samples, r.epochs, r.batch_size)
            out.append(pb.Profile(
                endpoint=ep, source=p.source, n_observations=p.n_observations,
                overhead_s=overhead, seconds_per_epoch=fixed,
                seconds_per_sample_epoch=(per_epoch - fixed) / r.samples,
                round_seconds=convert.quantiles_to_proto(q)))
        return pb.GetProfileResponse(profiles=out)

    @_translated
    def ForecastCost(self, request: pb.ForecastCostRequest,
                     context: grpc.ServicerContext) -> pb.ForecastCostResponse:
        if not request.instance_type:
            raise ConfigError("required", field="instance_type")
        location = request.WhichOneof("location")
        if location is None or not getattr(request, location):
            raise ConfigError("set az or region", field="az")
        if not (math.isfinite(request.hours) and request.hours > 0):
            raise ConfigError(f"must be a positive number, got {request.hours}", field="hours")
        convert.check_range(request.hours, "hours", convert.MAX_SECONDS / 3600)
        if not request.HasField("start"):
            raise ConfigError("required", field="start")
        try:
            start = request.start.ToDatetime(tzinfo=UTC)
        except (ValueError, OverflowError):
            raise ConfigError("out of range", field="start") from None
        if self._forecaster is None:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION,
                          "no spot-price forecaster is configured on this server")
        f = self._forecaster.forecast_cost(
            instance_type=request.instance_type,
            az=request.az if location == "az" else None,
            region=request.region if location == "region" else None,
            product=request.product or "Linux/UNIX", start=start, hours=request.hours)
        return pb.ForecastCostResponse(
            expected_usd=f.expected_usd, p10_usd=f.p10_usd, p90_usd=f.p90_usd,
            mean_price=f.mean_price, p_interrupt=f.p_interrupt, az=f.az, model=f.model)

    @_translated
    def SuggestExperiments(self, request: pb.SuggestExperimentsRequest,
                           context: grpc.ServicerContext) -> pb.SuggestExperimentsResponse:
        _check_batch(request)
        obs = convert.observations_from_proto(request.observations)
        n = _count(request.n, "n", minimum=1)
        if len(request.candidates) > MAX_BATCH:
            raise ConfigError(f"at most {MAX_BATCH} per call", field="candidates")
        candidates = []
        for i, c in enumerate(request.candidates):
            where = f"candidates[{i}]"
            if not c.endpoint:
                raise ConfigError("required", field=f"{where}.endpoint")
            candidates.append(Candidate(
                endpoint=c.endpoint, samples=_count(c.samples, f"{where}.samples", minimum=1),
                epochs=_count(c.epochs, f"{where}.epochs", minimum=1),
                batch_size=_count(c.batch_size, f"{where}.batch_size"),
                threads=_count(c.threads, f"{where}.threads")))
        if not candidates:
            raise ConfigError("at least one candidate is required", field="candidates")
        if self._designer is None:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION,
                          "no experiment designer is configured on this server")
        chosen = _checked_indices(self._designer.suggest(obs, candidates, min(n, len(candidates))),
                                  len(candidates))
        return pb.SuggestExperimentsResponse(
            chosen=[request.candidates[i] for i in chosen], indices=chosen)


def _check_int64(plan: dict[str, Any]) -> None:
    # A huge deadline (or absurdly fast observations) with no round.max_epochs lets the
    # balancer plan more epochs than any wire format holds: an input problem, said so.
    if plan["round"]["sample_epochs"] > _INT64_MAX:
        most = max(plan["assignments"], key=lambda a: a["epochs"])
        raise ConfigError(f"the plan gives {most['endpoint']} {most['epochs']} epochs; "
                          "set round.max_epochs or a shorter deadline", field="round.max_epochs")


def _checked_indices(indices: Sequence[int], n: int) -> list[int]:
    out = [int(i) for i in indices]
    if len(set(out)) != len(out) or not all(0 <= i < n for i in out):
        # A backend bug, not bad input: INTERNAL is the honest status.
        raise RuntimeError(f"experiment designer returned invalid indices {out}")
    return out
