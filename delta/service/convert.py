"""``to_proto`` / ``from_proto``: the one place domain objects meet generated messages.

Only this module, the servicer and :mod:`delta.client` import :mod:`delta._proto`.
Inbound messages become plain mappings first and then go through the same validation as
files (:func:`delta.config.validate_testbed`, :func:`delta.observations.observation_from_mapping`),
so a bad field gets the same one-line message over gRPC as from the CLI.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

import yaml
from google.protobuf.message import Message

from delta._proto import delta_pb2 as pb
from delta.config import Testbed, parse_testbed, validate_testbed
from delta.errors import ConfigError, ObservationError
from delta.observations import INT_FIELDS, Observation, observation_from_mapping
from profiler.base import Quantiles

#: Largest accepted counts and durations (about 115 days): far beyond any FL task, and
#: small enough that the planner's arithmetic stays finite.
MAX_COUNT = 10**12
MAX_SECONDS = 1e7


def mapping_from_message(msg: Message) -> dict[str, Any]:
    """The fields that are set, recursively, as plain Python values.

    Unset ``optional`` fields are left out, so the validator applies the file's defaults.
    """
    out: dict[str, Any] = {}
    for fd, value in msg.ListFields():
        if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
            out[fd.name] = dict(value)
        elif fd.message_type is not None and fd.is_repeated:
            out[fd.name] = [mapping_from_message(v) for v in value]
        elif fd.message_type is not None:
            out[fd.name] = mapping_from_message(value)
        else:
            out[fd.name] = list(value) if fd.is_repeated else value
    return out


def _reject_yaml_aliases(text: str) -> None:
    # Aliases let a few hundred bytes expand into an exponentially large document
    # ("billion laughs"); a testbed never needs them, so the service refuses them.
    if "*" not in text:
        return
    try:
        for token in yaml.scan(text):
            if isinstance(token, yaml.AliasToken):
                raise ConfigError("YAML aliases (*name) are not accepted by the service",
                                  source="testbed_yaml", field=f"line {token.start_mark.line + 1}")
    except yaml.YAMLError:
        return  # parse_testbed reports the malformed YAML with its line


def testbed_from_proto(kind: str | None, payload: str | bytes) -> Testbed:
    """A validated testbed from a request's ``testbed_source`` (``testbed_yaml`` or ``testbed``)."""
    if kind is None:
        raise ConfigError("a testbed is required: set testbed_yaml or testbed",
                          field="testbed_yaml")
    try:
        if kind == "testbed_yaml":
            assert isinstance(payload, str)
            _reject_yaml_aliases(payload)
            return parse_testbed(payload, source="testbed_yaml")
        assert isinstance(payload, bytes)
        return validate_testbed(mapping_from_message(pb.Testbed.FromString(payload)),
                                source="testbed")
    except RecursionError:
        raise ConfigError("nested too deeply", source=kind) from None


def testbed_to_proto(testbed: Mapping[str, Any]) -> pb.Testbed:
    """A structured testbed message from a mapping in the testbed file's schema."""
    from google.protobuf import json_format

    try:
        return json_format.ParseDict(dict(testbed), pb.Testbed())
    except json_format.ParseError as exc:
        raise ConfigError(str(exc).splitlines()[0], source="testbed") from None


def observation_from_proto(msg: pb.Observation, where: str) -> Observation:
    """Validate one observation message; errors name ``where`` (e.g. ``observations[3]``)."""
    row = mapping_from_message(msg)
    if msg.HasField("timestamp"):
        ts = msg.timestamp
        if not 0 <= ts.nanos < 1_000_000_000:
            raise ObservationError("'timestamp.nanos' must be in [0, 1e9)", field=where)
        row["timestamp"] = ts.seconds + ts.nanos * 1e-9
    obs = observation_from_mapping(row, where)
    check_range(obs.seconds, f"{where}.seconds", MAX_SECONDS)
    for name in INT_FIELDS:
        check_range(getattr(obs, name), f"{where}.{name}", MAX_COUNT)
    return obs


def check_range(value: float, field: str, limit: float) -> None:
    """Reject a (validated, non-negative) number above the service's ``limit``."""
    if value > limit:
        raise ObservationError(f"must be at most {limit:g}, got {value:g}", field=field)


def observations_from_proto(msgs: Iterable[pb.Observation],
                            field: str = "observations") -> list[Observation]:
    """Validate repeated observation messages, naming the index of the first bad one."""
    return [observation_from_proto(m, f"{field}[{i}]") for i, m in enumerate(msgs)]


def observation_to_proto(o: Observation) -> pb.Observation:
    msg = pb.Observation(endpoint=o.endpoint, task=o.task, samples=o.samples, epochs=o.epochs,
                         batch_size=o.batch_size, threads=o.threads,
                         model_params=o.model_params, bytes=o.bytes, seconds=o.seconds,
                         ok=o.ok, extra=o.extra)
    if o.timestamp is not None:
        whole = math.floor(o.timestamp)
        msg.timestamp.seconds = whole
        msg.timestamp.nanos = min(int(round((o.timestamp - whole) * 1e9)), 999_999_999)
    return msg


def quantiles_to_proto(q: Quantiles | Mapping[str, float]) -> pb.Quantiles:
    if isinstance(q, Mapping):
        return pb.Quantiles(p10=q["p10"], p50=q["p50"], p90=q["p90"])
    return pb.Quantiles(p10=q.p10, p50=q.p50, p90=q.p90)


def quantiles_from_proto(msg: pb.Quantiles) -> Quantiles:
    return Quantiles(msg.p10, msg.p50, msg.p90)


def _totals(d: Mapping[str, Any], name: str = "") -> pb.Totals:
    return pb.Totals(name=d.get("name", name), makespan_s=d["makespan_s"], usd=d["usd"],
                     sample_epochs=d["sample_epochs"])


def plan_to_proto(plan: Mapping[str, Any]) -> pb.PlanResponse:
    """The plan JSON (:meth:`tuner.plan.Plan.to_dict`) as a typed response.

    ``plan_json`` carries the dict verbatim, so fields a later tuner adds reach clients
    before the proto models them.
    """
    return pb.PlanResponse(
        version=plan["version"], testbed=plan["testbed"], mode=plan["mode"],
        assignments=[
            pb.Assignment(endpoint=a["endpoint"], runs_on=a["runs_on"], samples=a["samples"],
                          epochs=a["epochs"], batch_size=a["batch_size"],
                          predicted_seconds=quantiles_to_proto(a["predicted_seconds"]),
                          predicted_usd=a["predicted_usd"], reason=a["reason"],
                          profile=a["profile"])
            for a in plan["assignments"]
        ],
        moves=[
            pb.Move(endpoint=str(m.get("endpoint", "")), to=str(m.get("to", "")),
                    bytes=int(m.get("bytes", 0)), seconds=float(m.get("seconds", 0.0)),
                    usd=float(m.get("usd", 0.0)), json=json.dumps(m, sort_keys=True))
            for m in plan.get("moves", [])
        ],
        round=_totals(plan["round"]), baseline=_totals(plan["baseline"], "uniform"),
        speedup=plan["speedup"], notes=plan.get("notes", []),
        pareto=[pb.ParetoPoint(makespan_s=p.get("makespan_s", 0.0), usd=p.get("usd", 0.0),
                               progress=p.get("progress", 0.0))
                for p in plan.get("pareto", [])],
        plan_json=json.dumps(plan),
    )


def plan_from_proto(msg: pb.PlanResponse) -> dict[str, Any]:
    """The plan JSON dict back from a response (as ``delta plan --format json`` prints it)."""
    return json.loads(msg.plan_json)
