"""``DeltaClient``: call a ``delta serve`` from an FL controller.

>>> with DeltaClient("127.0.0.1:50051", token="s3cret") as delta:   # doctest: +SKIP
...     plan = delta.plan(Path("testbed.yaml"))                      # the plan JSON dict
...     delta.report(observations)                                   # after the round

Failures arrive as :class:`ServiceError` (a :class:`~delta.errors.DeltaError`), so a CLI
built on the client prints them as one line.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc

from delta._proto import delta_pb2 as pb
from delta._proto import delta_pb2_grpc
from delta.errors import DeltaError
from delta.observations import Observation, observation_from_mapping
from delta.service import convert
from delta.service.backends import CostForecast
from profiler.base import Quantiles

#: Statuses worth retrying: the server never saw the call, or is restarting.
_RETRYABLE = (grpc.StatusCode.UNAVAILABLE,)

TestbedArg = str | Path | Mapping[str, Any]


class ServiceError(DeltaError):
    """A call to the DELTA service failed; ``code`` is the gRPC status name."""

    def __init__(self, message: str, *, code: str, source: str):
        super().__init__(message, source=source)
        self.code = code


def _observations(items: Iterable[Observation | Mapping[str, Any]]) -> list[pb.Observation]:
    out = []
    for i, o in enumerate(items):
        rec = o if isinstance(o, Observation) else observation_from_mapping(dict(o), f"[{i}]")
        out.append(convert.observation_to_proto(rec))
    return out


def _testbed_fields(testbed: TestbedArg) -> dict[str, Any]:
    if isinstance(testbed, Path):
        try:
            return {"testbed_yaml": testbed.read_text()}
        except OSError as exc:
            raise DeltaError(f"cannot read: {exc.strerror or exc}", source=str(testbed)) from None
    if isinstance(testbed, str):
        return {"testbed_yaml": testbed}
    return {"testbed": convert.testbed_to_proto(testbed)}


class DeltaClient:
    """A connection to a DELTA service.

    Parameters
    ----------
    target:
        ``HOST:PORT`` of ``delta serve``.
    token:
        Bearer token, when the server was started with ``--token-file``.
    root_certificates:
        PEM of the CA (or self-signed certificate) to trust; implies TLS.
    tls:
        Speak TLS with the system's trusted roots.
    timeout:
        Seconds per call.
    retries:
        Extra attempts on UNAVAILABLE. Reports carry an idempotency key, so a retry of a
        batch the server already committed is not stored twice.
    """

    def __init__(self, target: str, *, token: str | None = None,
                 root_certificates: bytes | None = None, tls: bool = False,
                 timeout: float = 30.0, retries: int = 3,
                 max_message_bytes: int = 16 * 1024 * 1024,
                 options: Sequence[tuple[str, Any]] = ()):
        self.target = target
        self.timeout = timeout
        self.retries = retries
        opts = [("grpc.max_receive_message_length", max_message_bytes),
                ("grpc.max_send_message_length", max_message_bytes), *options]
        if tls or root_certificates is not None:
            creds = grpc.ssl_channel_credentials(root_certificates=root_certificates)
            self._channel = grpc.secure_channel(target, creds, options=opts)
        else:
            self._channel = grpc.insecure_channel(target, options=opts)
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self._stub = delta_pb2_grpc.DeltaStub(self._channel)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> DeltaClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, request: Any) -> Any:
        rpc = getattr(self._stub, method)
        for attempt in range(self.retries + 1):
            try:
                return rpc(request, timeout=self.timeout, metadata=self._metadata)
            except grpc.RpcError as exc:
                code = exc.code()
                if code in _RETRYABLE and attempt < self.retries:
                    time.sleep(min(0.1 * 2**attempt, 2.0))
                    continue
                raise ServiceError(f"{method}: {exc.details() or code.name}",
                                   code=code.name, source=self.target) from None
        raise AssertionError("unreachable")

    def plan(self, testbed: TestbedArg, observations: Iterable[Observation | Mapping] = (),
             deadline_s: float | None = None, ignore_store: bool = False) -> dict[str, Any]:
        """Plan one round; returns the plan JSON dict (``docs/contracts.md``).

        ``testbed`` is YAML/JSON text, a :class:`~pathlib.Path` to a testbed file, or a
        mapping in the file's schema. ``observations`` are used for this plan only.
        """
        req = pb.PlanRequest(**_testbed_fields(testbed), observations=_observations(observations),
                             ignore_store=ignore_store)
        if deadline_s is not None:
            req.deadline_s = deadline_s
        return convert.plan_from_proto(self._call("Plan", req))

    def report(self, observations: Iterable[Observation | Mapping],
               idempotency_key: str | None = None) -> int:
        """Store observations on the server; returns how many are durable.

        A fresh idempotency key is made when none is given, so the client's own retries
        never store a batch twice; pass your own to make retries across restarts safe.
        """
        req = pb.ReportObservationsRequest(observations=_observations(observations),
                                           idempotency_key=idempotency_key or uuid.uuid4().hex)
        return int(self._call("ReportObservations", req).stored)

    def predict(self, testbed: TestbedArg, endpoint: str, samples: int, epochs: int,
                batch_size: int = 0) -> Quantiles:
        """Predicted seconds (p10/p50/p90) of one training task on ``endpoint``."""
        req = pb.PredictRuntimeRequest(**_testbed_fields(testbed), endpoint=endpoint,
                                       samples=samples, epochs=epochs, batch_size=batch_size)
        return convert.quantiles_from_proto(self._call("PredictRuntime", req).seconds)

    def profiles(self, testbed: TestbedArg, endpoints: Sequence[str] = ()) -> list[dict[str, Any]]:
        """The fitted runtime profile of ``endpoints`` (all of the testbed's by default)."""
        req = pb.GetProfileRequest(**_testbed_fields(testbed), endpoints=list(endpoints))
        return [
            {"endpoint": p.endpoint, "source": p.source, "n_observations": p.n_observations,
             "overhead_s": p.overhead_s, "seconds_per_epoch": p.seconds_per_epoch,
             "seconds_per_sample_epoch": p.seconds_per_sample_epoch,
             "round_seconds": convert.quantiles_from_proto(p.round_seconds).to_dict()}
            for p in self._call("GetProfile", req).profiles
        ]

    def forecast(self, instance_type: str, hours: float, *, az: str | None = None,
                 region: str | None = None, product: str = "Linux/UNIX",
                 start: datetime | None = None) -> CostForecast:
        """Expected cost of ``hours`` of ``instance_type`` from ``start`` (default: now)."""
        req = pb.ForecastCostRequest(instance_type=instance_type, product=product, hours=hours)
        if az is not None:
            req.az = az
        elif region is not None:
            req.region = region
        req.start.FromDatetime(start or datetime.now(UTC))
        r = self._call("ForecastCost", req)
        return CostForecast(expected_usd=r.expected_usd, p10_usd=r.p10_usd, p90_usd=r.p90_usd,
                            mean_price=r.mean_price, p_interrupt=r.p_interrupt, az=r.az,
                            model=r.model)
