"""The testbed file: endpoints, their hardware and data, round defaults, objective.

The schema is a public contract (see ``docs/contracts.md``): extend it, never break it.
Unknown keys are rejected so that a typo never silently becomes a default.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from delta.errors import ConfigError

NonNeg = Annotated[float, Field(ge=0)]
Pos = Annotated[float, Field(gt=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Hardware(_Strict):
    """What an endpoint declares about itself; the cold-start prior reads this."""

    cores: Annotated[int, Field(ge=1)] = 1
    memory_gb: Pos = 1.0
    clock_ghz: Pos = 1.0
    arch: str = "x86_64"
    accelerator: str | None = None


class Network(_Strict):
    """The declared link of an endpoint, used for planning transfers."""

    bandwidth_mbps: Pos = 100.0
    latency_ms: NonNeg = 10.0
    egress_usd_per_gb: NonNeg = 0.0


class Data(_Strict):
    """The data that lives at an endpoint."""

    source: str = "sklearn:digits"
    samples: Annotated[int, Field(ge=0)] = 1000
    bytes: Annotated[int, Field(ge=0)] = 0
    movable: bool = False
    #: Other endpoints that already hold a copy of this data: training it there needs no
    #: move (a run fills this in as it moves data; the home copy always stays).
    copies_at: list[str] = []
    #: Where this data trains now when that is not home (a run fills this in): the
    #: planner trains it elsewhere only when that makes the round clearly better.
    runs_on: str | None = None


class Executor(_Strict):
    """How tasks reach an endpoint.

    ``speed``, ``bandwidth_mbps`` and ``latency_ms`` of an emulated executor are the
    emulator's hidden truth; the planner never reads them.  ``fail_rate`` and
    ``preempt_rate`` inject failures (no result) and preemptions (work lost partway).
    """

    kind: Literal["local", "emulated", "globus"] = "local"
    endpoint_id: str | None = None
    speed: Pos = 1.0
    bandwidth_mbps: Pos | None = None
    latency_ms: NonNeg = 0.0
    fail_rate: Annotated[float, Field(ge=0, le=1)] = 0.0
    preempt_rate: Annotated[float, Field(ge=0, le=1)] = 0.0

    @model_validator(mode="after")
    def _globus_needs_id(self) -> Executor:
        if self.kind == "globus" and not self.endpoint_id:
            raise ValueError("a globus executor needs an endpoint_id")
        return self


class Endpoint(_Strict):
    id: Annotated[str, Field(min_length=1)]
    executor: Executor = Executor()
    hardware: Hardware = Hardware()
    data: Data = Data()
    network: Network = Network()
    price_per_hour: NonNeg = 0.0


class CloudCandidate(_Strict):
    """A data-to-compute candidate: an instance the data of a site could move to."""

    id: Annotated[str, Field(min_length=1)]
    instance_type: str
    region: str = "us-east-1"
    market: Literal["spot", "on-demand"] = "spot"
    price_per_hour: NonNeg | None = None
    startup_s: NonNeg = 60.0
    hardware: Hardware | None = None
    network: Network = Network(bandwidth_mbps=1000.0, latency_ms=20.0)


class RoundDefaults(_Strict):
    samples: Annotated[int, Field(ge=1)] = 1000
    epochs: Annotated[int, Field(ge=1)] = 10
    batch_size: Annotated[int, Field(ge=1)] = 32
    min_epochs: Annotated[int, Field(ge=1)] = 1
    max_epochs: Annotated[int, Field(ge=1)] | None = None
    deadline_s: Pos | None = None
    policy: Literal["epochs-first", "samples-first", "both"] = "epochs-first"

    @model_validator(mode="after")
    def _epoch_bounds(self) -> RoundDefaults:
        if self.min_epochs > self.epochs:
            raise ValueError(f"min_epochs ({self.min_epochs}) exceeds epochs ({self.epochs})")
        if self.max_epochs is not None and self.max_epochs < self.epochs:
            raise ValueError(f"max_epochs ({self.max_epochs}) is below epochs ({self.epochs})")
        return self


class Objective(_Strict):
    exchange_usd_per_hour: NonNeg = 10.0
    budget_usd_per_round: NonNeg | None = None
    min_participants: Annotated[int, Field(ge=1)] = 1


class ModelSpec(_Strict):
    builder: str | None = None

    @field_validator("builder")
    @classmethod
    def _module_colon_function(cls, v: str | None) -> str | None:
        if v is not None and (v.count(":") != 1 or not all(v.split(":"))):
            raise ValueError("must look like 'package.module:function'")
        return v


class Testbed(_Strict):
    name: str = "testbed"
    rounds: Annotated[int, Field(ge=1)] = 20
    round: RoundDefaults = RoundDefaults()
    objective: Objective = Objective()
    model: ModelSpec = ModelSpec()
    endpoints: Annotated[list[Endpoint], Field(min_length=1)]
    cloud: list[CloudCandidate] = []

    @model_validator(mode="after")
    def _unique_ids(self) -> Testbed:
        # Messages start with the field's path: the model-level error has no location.
        seen: set[str] = set()
        for kind, eps in (("endpoints", self.endpoints), ("cloud", self.cloud)):
            for i, ep in enumerate(eps):
                if ep.id in seen:
                    raise ValueError(f"{kind}[{i}].id: duplicate endpoint id {ep.id!r}")
                seen.add(ep.id)
        for i, ep in enumerate(self.endpoints):
            for key, hosts in (("copies_at", ep.data.copies_at),
                               ("runs_on", [ep.data.runs_on] if ep.data.runs_on else [])):
                for host in hosts:
                    if host not in seen or host == ep.id:
                        raise ValueError(f"endpoints[{i}].data.{key}: {host!r} is not another "
                                         f"endpoint or cloud candidate of this testbed")
        if self.objective.min_participants > len(self.endpoints):
            raise ValueError(
                f"objective.min_participants: {self.objective.min_participants} exceeds "
                f"the number of endpoints ({len(self.endpoints)})"
            )
        return self

    def endpoint(self, endpoint_id: str) -> Endpoint:
        for ep in self.endpoints:
            if ep.id == endpoint_id:
                return ep
        raise ConfigError(f"unknown endpoint {endpoint_id!r}", source=self.name)


def _field_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _reject_non_finite(node: object, path: str, source: str) -> None:
    if isinstance(node, float) and not math.isfinite(node):
        raise ConfigError(f"must be a finite number, got {node}", source=source, field=path)
    if isinstance(node, dict):
        for k, v in node.items():
            _reject_non_finite(v, f"{path}.{k}" if path else str(k), source)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _reject_non_finite(v, f"{path}[{i}]", source)


def parse_testbed(text: str, source: str = "<testbed>") -> Testbed:
    """Parse testbed YAML (or JSON, which is YAML) text into a validated :class:`Testbed`.

    Raises
    ------
    ConfigError
        One line naming the source, the field path and the problem.
    """
    try:
        # libyaml's loader when present: ~7x faster on a 1,000-endpoint testbed.
        raw = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"malformed YAML: {problem}", source=source, field=where) from None
    return validate_testbed(raw, source)


def validate_testbed(raw: object, source: str = "<testbed>") -> Testbed:
    """Validate an already-parsed mapping (e.g. from a gRPC message) into a :class:`Testbed`.

    Raises
    ------
    ConfigError
        One line naming the source, the field path and the problem.
    """
    if not isinstance(raw, dict):
        raise ConfigError("expected a mapping with 'endpoints' at the top", source=source)
    _reject_non_finite(raw, "", source)
    try:
        return Testbed.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(p for p in err["loc"] if p not in ("function-after",))
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        elif err["type"] == "missing":
            msg = "required field is missing"
        more = len(exc.errors()) - 1
        if more:
            msg += f" (and {more} more problem{'s' if more > 1 else ''})"
        raise ConfigError(msg, source=source, field=_field_path(loc) or None) from None


def load_testbed(path: str | Path) -> Testbed:
    """Read and validate a testbed file."""
    p = Path(path)
    try:
        text = p.read_text()
    except FileNotFoundError:
        raise ConfigError("no such file", source=str(p)) from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc.__class__.__name__}", source=str(p)) from None
    return parse_testbed(text, source=str(p))
