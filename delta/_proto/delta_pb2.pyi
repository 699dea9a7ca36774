import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Hardware(_message.Message):
    __slots__ = ("cores", "memory_gb", "clock_ghz", "arch", "accelerator")
    CORES_FIELD_NUMBER: _ClassVar[int]
    MEMORY_GB_FIELD_NUMBER: _ClassVar[int]
    CLOCK_GHZ_FIELD_NUMBER: _ClassVar[int]
    ARCH_FIELD_NUMBER: _ClassVar[int]
    ACCELERATOR_FIELD_NUMBER: _ClassVar[int]
    cores: int
    memory_gb: float
    clock_ghz: float
    arch: str
    accelerator: str
    def __init__(self, cores: _Optional[int] = ..., memory_gb: _Optional[float] = ..., clock_ghz: _Optional[float] = ..., arch: _Optional[str] = ..., accelerator: _Optional[str] = ...) -> None: ...

class Network(_message.Message):
    __slots__ = ("bandwidth_mbps", "latency_ms", "egress_usd_per_gb")
    BANDWIDTH_MBPS_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    EGRESS_USD_PER_GB_FIELD_NUMBER: _ClassVar[int]
    bandwidth_mbps: float
    latency_ms: float
    egress_usd_per_gb: float
    def __init__(self, bandwidth_mbps: _Optional[float] = ..., latency_ms: _Optional[float] = ..., egress_usd_per_gb: _Optional[float] = ...) -> None: ...

class Data(_message.Message):
    __slots__ = ("source", "samples", "bytes", "movable", "copies_at", "runs_on")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SAMPLES_FIELD_NUMBER: _ClassVar[int]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    MOVABLE_FIELD_NUMBER: _ClassVar[int]
    COPIES_AT_FIELD_NUMBER: _ClassVar[int]
    RUNS_ON_FIELD_NUMBER: _ClassVar[int]
    source: str
    samples: int
    bytes: int
    movable: bool
    copies_at: _containers.RepeatedScalarFieldContainer[str]
    runs_on: str
    def __init__(self, source: _Optional[str] = ..., samples: _Optional[int] = ..., bytes: _Optional[int] = ..., movable: _Optional[bool] = ..., copies_at: _Optional[_Iterable[str]] = ..., runs_on: _Optional[str] = ...) -> None: ...

class Executor(_message.Message):
    __slots__ = ("kind", "endpoint_id", "speed", "bandwidth_mbps", "latency_ms", "fail_rate", "preempt_rate")
    KIND_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    SPEED_FIELD_NUMBER: _ClassVar[int]
    BANDWIDTH_MBPS_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    FAIL_RATE_FIELD_NUMBER: _ClassVar[int]
    PREEMPT_RATE_FIELD_NUMBER: _ClassVar[int]
    kind: str
    endpoint_id: str
    speed: float
    bandwidth_mbps: float
    latency_ms: float
    fail_rate: float
    preempt_rate: float
    def __init__(self, kind: _Optional[str] = ..., endpoint_id: _Optional[str] = ..., speed: _Optional[float] = ..., bandwidth_mbps: _Optional[float] = ..., latency_ms: _Optional[float] = ..., fail_rate: _Optional[float] = ..., preempt_rate: _Optional[float] = ...) -> None: ...

class Endpoint(_message.Message):
    __slots__ = ("id", "executor", "hardware", "data", "network", "price_per_hour")
    ID_FIELD_NUMBER: _ClassVar[int]
    EXECUTOR_FIELD_NUMBER: _ClassVar[int]
    HARDWARE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    PRICE_PER_HOUR_FIELD_NUMBER: _ClassVar[int]
    id: str
    executor: Executor
    hardware: Hardware
    data: Data
    network: Network
    price_per_hour: float
    def __init__(self, id: _Optional[str] = ..., executor: _Optional[_Union[Executor, _Mapping]] = ..., hardware: _Optional[_Union[Hardware, _Mapping]] = ..., data: _Optional[_Union[Data, _Mapping]] = ..., network: _Optional[_Union[Network, _Mapping]] = ..., price_per_hour: _Optional[float] = ...) -> None: ...

class CloudCandidate(_message.Message):
    __slots__ = ("id", "instance_type", "region", "market", "price_per_hour", "startup_s", "hardware", "network")
    ID_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    MARKET_FIELD_NUMBER: _ClassVar[int]
    PRICE_PER_HOUR_FIELD_NUMBER: _ClassVar[int]
    STARTUP_S_FIELD_NUMBER: _ClassVar[int]
    HARDWARE_FIELD_NUMBER: _ClassVar[int]
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    id: str
    instance_type: str
    region: str
    market: str
    price_per_hour: float
    startup_s: float
    hardware: Hardware
    network: Network
    def __init__(self, id: _Optional[str] = ..., instance_type: _Optional[str] = ..., region: _Optional[str] = ..., market: _Optional[str] = ..., price_per_hour: _Optional[float] = ..., startup_s: _Optional[float] = ..., hardware: _Optional[_Union[Hardware, _Mapping]] = ..., network: _Optional[_Union[Network, _Mapping]] = ...) -> None: ...

class RoundDefaults(_message.Message):
    __slots__ = ("samples", "epochs", "batch_size", "min_epochs", "max_epochs", "deadline_s", "policy")
    SAMPLES_FIELD_NUMBER: _ClassVar[int]
    EPOCHS_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    MIN_EPOCHS_FIELD_NUMBER: _ClassVar[int]
    MAX_EPOCHS_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_S_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    samples: int
    epochs: int
    batch_size: int
    min_epochs: int
    max_epochs: int
    deadline_s: float
    policy: str
    def __init__(self, samples: _Optional[int] = ..., epochs: _Optional[int] = ..., batch_size: _Optional[int] = ..., min_epochs: _Optional[int] = ..., max_epochs: _Optional[int] = ..., deadline_s: _Optional[float] = ..., policy: _Optional[str] = ...) -> None: ...

class Objective(_message.Message):
    __slots__ = ("exchange_usd_per_hour", "budget_usd_per_round", "min_participants")
    EXCHANGE_USD_PER_HOUR_FIELD_NUMBER: _ClassVar[int]
    BUDGET_USD_PER_ROUND_FIELD_NUMBER: _ClassVar[int]
    MIN_PARTICIPANTS_FIELD_NUMBER: _ClassVar[int]
    exchange_usd_per_hour: float
    budget_usd_per_round: float
    min_participants: int
    def __init__(self, exchange_usd_per_hour: _Optional[float] = ..., budget_usd_per_round: _Optional[float] = ..., min_participants: _Optional[int] = ...) -> None: ...

class ModelSpec(_message.Message):
    __slots__ = ("builder",)
    BUILDER_FIELD_NUMBER: _ClassVar[int]
    builder: str
    def __init__(self, builder: _Optional[str] = ...) -> None: ...

class Testbed(_message.Message):
    __slots__ = ("name", "rounds", "round", "objective", "model", "endpoints", "cloud")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROUNDS_FIELD_NUMBER: _ClassVar[int]
    ROUND_FIELD_NUMBER: _ClassVar[int]
    OBJECTIVE_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    ENDPOINTS_FIELD_NUMBER: _ClassVar[int]
    CLOUD_FIELD_NUMBER: _ClassVar[int]
    name: str
    rounds: int
    round: RoundDefaults
    objective: Objective
    model: ModelSpec
    endpoints: _containers.RepeatedCompositeFieldContainer[Endpoint]
    cloud: _containers.RepeatedCompositeFieldContainer[CloudCandidate]
    def __init__(self, name: _Optional[str] = ..., rounds: _Optional[int] = ..., round: _Optional[_Union[RoundDefaults, _Mapping]] = ..., objective: _Optional[_Union[Objective, _Mapping]] = ..., model: _Optional[_Union[ModelSpec, _Mapping]] = ..., endpoints: _Optional[_Iterable[_Union[Endpoint, _Mapping]]] = ..., cloud: _Optional[_Iterable[_Union[CloudCandidate, _Mapping]]] = ...) -> None: ...

class Observation(_message.Message):
    __slots__ = ("endpoint", "task", "samples", "epochs", "batch_size", "threads", "model_params", "bytes", "seconds", "ok", "timestamp", "extra")
    class ExtraEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    SAMPLES_FIELD_NUMBER: _ClassVar[int]
    EPOCHS_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    THREADS_FIELD_NUMBER: _ClassVar[int]
    MODEL_PARAMS_FIELD_NUMBER: _ClassVar[int]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    SECONDS_FIELD_NUMBER: _ClassVar[int]
    OK_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    endpoint: str
    task: str
    samples: int
    epochs: int
    batch_size: int
    threads: int
    model_params: int
    bytes: int
    seconds: float
    ok: bool
    timestamp: _timestamp_pb2.Timestamp
    extra: _containers.ScalarMap[str, float]
    def __init__(self, endpoint: _Optional[str] = ..., task: _Optional[str] = ..., samples: _Optional[int] = ..., epochs: _Optional[int] = ..., batch_size: _Optional[int] = ..., threads: _Optional[int] = ..., model_params: _Optional[int] = ..., bytes: _Optional[int] = ..., seconds: _Optional[float] = ..., ok: _Optional[bool] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., extra: _Optional[_Mapping[str, float]] = ...) -> None: ...

class PlanRequest(_message.Message):
    __slots__ = ("testbed_yaml", "testbed", "observations", "deadline_s", "ignore_store")
    TESTBED_YAML_FIELD_NUMBER: _ClassVar[int]
    TESTBED_FIELD_NUMBER: _ClassVar[int]
    OBSERVATIONS_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_S_FIELD_NUMBER: _ClassVar[int]
    IGNORE_STORE_FIELD_NUMBER: _ClassVar[int]
    testbed_yaml: str
    testbed: Testbed
    observations: _containers.RepeatedCompositeFieldContainer[Observation]
    deadline_s: float
    ignore_store: bool
    def __init__(self, testbed_yaml: _Optional[str] = ..., testbed: _Optional[_Union[Testbed, _Mapping]] = ..., observations: _Optional[_Iterable[_Union[Observation, _Mapping]]] = ..., deadline_s: _Optional[float] = ..., ignore_store: _Optional[bool] = ...) -> None: ...

class Quantiles(_message.Message):
    __slots__ = ("p10", "p50", "p90")
    P10_FIELD_NUMBER: _ClassVar[int]
    P50_FIELD_NUMBER: _ClassVar[int]
    P90_FIELD_NUMBER: _ClassVar[int]
    p10: float
    p50: float
    p90: float
    def __init__(self, p10: _Optional[float] = ..., p50: _Optional[float] = ..., p90: _Optional[float] = ...) -> None: ...

class Assignment(_message.Message):
    __slots__ = ("endpoint", "runs_on", "samples", "epochs", "batch_size", "predicted_seconds", "predicted_usd", "reason", "profile")
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    RUNS_ON_FIELD_NUMBER: _ClassVar[int]
    SAMPLES_FIELD_NUMBER: _ClassVar[int]
    EPOCHS_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    PREDICTED_SECONDS_FIELD_NUMBER: _ClassVar[int]
    PREDICTED_USD_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    endpoint: str
    runs_on: str
    samples: int
    epochs: int
    batch_size: int
    predicted_seconds: Quantiles
    predicted_usd: float
    reason: str
    profile: str
    def __init__(self, endpoint: _Optional[str] = ..., runs_on: _Optional[str] = ..., samples: _Optional[int] = ..., epochs: _Optional[int] = ..., batch_size: _Optional[int] = ..., predicted_seconds: _Optional[_Union[Quantiles, _Mapping]] = ..., predicted_usd: _Optional[float] = ..., reason: _Optional[str] = ..., profile: _Optional[str] = ...) -> None: ...

class Move(_message.Message):
    __slots__ = ("endpoint", "to", "bytes", "seconds", "usd", "json")
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    SECONDS_FIELD_NUMBER: _ClassVar[int]
    USD_FIELD_NUMBER: _ClassVar[int]
    JSON_FIELD_NUMBER: _ClassVar[int]
    endpoint: str
    to: str
    bytes: int
    seconds: float
    usd: float
    json: str
    def __init__(self, endpoint: _Optional[str] = ..., to: _Optional[str] = ..., bytes: _Optional[int] = ..., seconds: _Optional[float] = ..., usd: _Optional[float] = ..., json: _Optional[str] = ...) -> None: ...

class Totals(_message.Message):
    __slots__ = ("name", "makespan_s", "usd", "sample_epochs")
    NAME_FIELD_NUMBER: _ClassVar[int]
    MAKESPAN_S_FIELD_NUMBER: _ClassVar[int]
    USD_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_EPOCHS_FIELD_NUMBER: _ClassVar[int]
    name: str
    makespan_s: float
    usd: float
    sample_epochs: int
    def __init__(self, name: _Optional[str] = ..., makespan_s: _Optional[float] = ..., usd: _Optional[float] = ..., sample_epochs: _Optional[int] = ...) -> None: ...

class ParetoPoint(_message.Message):
    __slots__ = ("makespan_s", "usd", "progress")
    MAKESPAN_S_FIELD_NUMBER: _ClassVar[int]
    USD_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    makespan_s: float
    usd: float
    progress: float
    def __init__(self, makespan_s: _Optional[float] = ..., usd: _Optional[float] = ..., progress: _Optional[float] = ...) -> None: ...

class PlanResponse(_message.Message):
    __slots__ = ("version", "testbed", "mode", "assignments", "moves", "round", "baseline", "speedup", "notes", "pareto", "plan_json")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    TESTBED_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    ASSIGNMENTS_FIELD_NUMBER: _ClassVar[int]
    MOVES_FIELD_NUMBER: _ClassVar[int]
    ROUND_FIELD_NUMBER: _ClassVar[int]
    BASELINE_FIELD_NUMBER: _ClassVar[int]
    SPEEDUP_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    PARETO_FIELD_NUMBER: _ClassVar[int]
    PLAN_JSON_FIELD_NUMBER: _ClassVar[int]
    version: int
    testbed: str
    mode: str
    assignments: _containers.RepeatedCompositeFieldContainer[Assignment]
    moves: _containers.RepeatedCompositeFieldContainer[Move]
    round: Totals
    baseline: Totals
    speedup: float
    notes: _containers.RepeatedScalarFieldContainer[str]
    pareto: _containers.RepeatedCompositeFieldContainer[ParetoPoint]
    plan_json: str
    def __init__(self, version: _Optional[int] = ..., testbed: _Optional[str] = ..., mode: _Optional[str] = ..., assignments: _Optional[_Iterable[_Union[Assignment, _Mapping]]] = ..., moves: _Optional[_Iterable[_Union[Move, _Mapping]]] = ..., round: _Optional[_Union[Totals, _Mapping]] = ..., baseline: _Optional[_Union[Totals, _Mapping]] = ..., speedup: _Optional[float] = ..., notes: _Optional[_Iterable[str]] = ..., pareto: _Optional[_Iterable[_Union[ParetoPoint, _Mapping]]] = ..., plan_json: _Optional[str] = ...) -> None: ...

class ReportObservationsRequest(_message.Message):
    __slots__ = ("observations", "idempotency_key")
    OBSERVATIONS_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    observations: _containers.RepeatedCompositeFieldContainer[Observation]
    idempotency_key: str
    def __init__(self, observations: _Optional[_Iterable[_Union[Observation, _Mapping]]] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class ReportObservationsResponse(_message.Message):
    __slots__ = ("stored", "duplicate")
    STORED_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    stored: int
    duplicate: bool
    def __init__(self, stored: _Optional[int] = ..., duplicate: _Optional[bool] = ...) -> None: ...

class PredictRuntimeRequest(_message.Message):
    __slots__ = ("testbed_yaml", "testbed", "endpoint", "samples", "epochs", "batch_size", "observations", "ignore_store")
    TESTBED_YAML_FIELD_NUMBER: _ClassVar[int]
    TESTBED_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    SAMPLES_FIELD_NUMBER: _ClassVar[int]
    EPOCHS_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    OBSERVATIONS_FIELD_NUMBER: _ClassVar[int]
    IGNORE_STORE_FIELD_NUMBER: _ClassVar[int]
    testbed_yaml: str
    testbed: Testbed
    endpoint: str
    samples: int
    epochs: int
    batch_size: int
    observations: _containers.RepeatedCompositeFieldContainer[Observation]
    ignore_store: bool
    def __init__(self, testbed_yaml: _Optional[str] = ..., testbed: _Optional[_Union[Testbed, _Mapping]] = ..., endpoint: _Optional[str] = ..., samples: _Optional[int] = ..., epochs: _Optional[int] = ..., batch_size: _Optional[int] = ..., observations: _Optional[_Iterable[_Union[Observation, _Mapping]]] = ..., ignore_store: _Optional[bool] = ...) -> None: ...

class PredictRuntimeResponse(_message.Message):
    __slots__ = ("seconds", "profile", "n_observations")
    SECONDS_FIELD_NUMBER: _ClassVar[int]
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    N_OBSERVATIONS_FIELD_NUMBER: _ClassVar[int]
    seconds: Quantiles
    profile: str
    n_observations: int
    def __init__(self, seconds: _Optional[_Union[Quantiles, _Mapping]] = ..., profile: _Optional[str] = ..., n_observations: _Optional[int] = ...) -> None: ...

class ForecastCostRequest(_message.Message):
    __slots__ = ("instance_type", "az", "region", "product", "start", "hours")
    INSTANCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    AZ_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    HOURS_FIELD_NUMBER: _ClassVar[int]
    instance_type: str
    az: str
    region: str
    product: str
    start: _timestamp_pb2.Timestamp
    hours: float
    def __init__(self, instance_type: _Optional[str] = ..., az: _Optional[str] = ..., region: _Optional[str] = ..., product: _Optional[str] = ..., start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., hours: _Optional[float] = ...) -> None: ...

class ForecastCostResponse(_message.Message):
    __slots__ = ("expected_usd", "p10_usd", "p90_usd", "mean_price", "p_interrupt", "az", "model")
    EXPECTED_USD_FIELD_NUMBER: _ClassVar[int]
    P10_USD_FIELD_NUMBER: _ClassVar[int]
    P90_USD_FIELD_NUMBER: _ClassVar[int]
    MEAN_PRICE_FIELD_NUMBER: _ClassVar[int]
    P_INTERRUPT_FIELD_NUMBER: _ClassVar[int]
    AZ_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    expected_usd: float
    p10_usd: float
    p90_usd: float
    mean_price: float
    p_interrupt: float
    az: str
    model: str
    def __init__(self, expected_usd: _Optional[float] = ..., p10_usd: _Optional[float] = ..., p90_usd: _Optional[float] = ..., mean_price: _Optional[float] = ..., p_interrupt: _Optional[float] = ..., az: _Optional[str] = ..., model: _Optional[str] = ...) -> None: ...

class Candidate(_message.Message):
    __slots__ = ("endpoint", "samples", "epochs", "batch_size", "threads")
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    SAMPLES_FIELD_NUMBER: _ClassVar[int]
    EPOCHS_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    THREADS_FIELD_NUMBER: _ClassVar[int]
    endpoint: str
    samples: int
    epochs: int
    batch_size: int
    threads: int
    def __init__(self, endpoint: _Optional[str] = ..., samples: _Optional[int] = ..., epochs: _Optional[int] = ..., batch_size: _Optional[int] = ..., threads: _Optional[int] = ...) -> None: ...

class SuggestExperimentsRequest(_message.Message):
    __slots__ = ("observations", "candidates", "n")
    OBSERVATIONS_FIELD_NUMBER: _ClassVar[int]
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    N_FIELD_NUMBER: _ClassVar[int]
    observations: _containers.RepeatedCompositeFieldContainer[Observation]
    candidates: _containers.RepeatedCompositeFieldContainer[Candidate]
    n: int
    def __init__(self, observations: _Optional[_Iterable[_Union[Observation, _Mapping]]] = ..., candidates: _Optional[_Iterable[_Union[Candidate, _Mapping]]] = ..., n: _Optional[int] = ...) -> None: ...

class SuggestExperimentsResponse(_message.Message):
    __slots__ = ("chosen", "indices")
    CHOSEN_FIELD_NUMBER: _ClassVar[int]
    INDICES_FIELD_NUMBER: _ClassVar[int]
    chosen: _containers.RepeatedCompositeFieldContainer[Candidate]
    indices: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, chosen: _Optional[_Iterable[_Union[Candidate, _Mapping]]] = ..., indices: _Optional[_Iterable[int]] = ...) -> None: ...

class GetProfileRequest(_message.Message):
    __slots__ = ("testbed_yaml", "testbed", "endpoints", "observations", "ignore_store")
    TESTBED_YAML_FIELD_NUMBER: _ClassVar[int]
    TESTBED_FIELD_NUMBER: _ClassVar[int]
    ENDPOINTS_FIELD_NUMBER: _ClassVar[int]
    OBSERVATIONS_FIELD_NUMBER: _ClassVar[int]
    IGNORE_STORE_FIELD_NUMBER: _ClassVar[int]
    testbed_yaml: str
    testbed: Testbed
    endpoints: _containers.RepeatedScalarFieldContainer[str]
    observations: _containers.RepeatedCompositeFieldContainer[Observation]
    ignore_store: bool
    def __init__(self, testbed_yaml: _Optional[str] = ..., testbed: _Optional[_Union[Testbed, _Mapping]] = ..., endpoints: _Optional[_Iterable[str]] = ..., observations: _Optional[_Iterable[_Union[Observation, _Mapping]]] = ..., ignore_store: _Optional[bool] = ...) -> None: ...

class Profile(_message.Message):
    __slots__ = ("endpoint", "source", "n_observations", "overhead_s", "seconds_per_sample_epoch", "round_seconds", "seconds_per_epoch")
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    N_OBSERVATIONS_FIELD_NUMBER: _ClassVar[int]
    OVERHEAD_S_FIELD_NUMBER: _ClassVar[int]
    SECONDS_PER_SAMPLE_EPOCH_FIELD_NUMBER: _ClassVar[int]
    ROUND_SECONDS_FIELD_NUMBER: _ClassVar[int]
    SECONDS_PER_EPOCH_FIELD_NUMBER: _ClassVar[int]
    endpoint: str
    source: str
    n_observations: int
    overhead_s: float
    seconds_per_sample_epoch: float
    round_seconds: Quantiles
    seconds_per_epoch: float
    def __init__(self, endpoint: _Optional[str] = ..., source: _Optional[str] = ..., n_observations: _Optional[int] = ..., overhead_s: _Optional[float] = ..., seconds_per_sample_epoch: _Optional[float] = ..., round_seconds: _Optional[_Union[Quantiles, _Mapping]] = ..., seconds_per_epoch: _Optional[float] = ...) -> None: ...

class GetProfileResponse(_message.Message):
    __slots__ = ("profiles",)
    PROFILES_FIELD_NUMBER: _ClassVar[int]
    profiles: _containers.RepeatedCompositeFieldContainer[Profile]
    def __init__(self, profiles: _Optional[_Iterable[_Union[Profile, _Mapping]]] = ...) -> None: ...
