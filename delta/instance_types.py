"""Cloud candidates' hardware from instance-type specs (the I/O edge of the tuner).

The specs are ``describe_instance_types`` records (``{"InstanceTypes": [...]}``, optionally
gzipped): vCPUs, sustained clock, memory, architecture and GPUs become a plain
:class:`~profiler.hardware.HardwareSpec`, from which the profiler gives a candidate with no
observations its hardware prior.  The file is ``$DELTA_INSTANCE_TYPES`` or, by default,
``instance-types.json.gz`` in the shared data directory next to the checkout.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

from delta.config import Testbed
from delta.errors import ConfigError
from profiler.hardware import HardwareSpec

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "shared" / "data" / "instance-types.json.gz"
#: Clock assumed for the few instance types whose specs give none.
DEFAULT_CLOCK_GHZ = 2.5


def instance_types_path() -> Path:
    """Where the instance-type specs are read from."""
    return Path(os.environ.get("DELTA_INSTANCE_TYPES") or DEFAULT_PATH)


def read_instance_types(path: Path) -> dict[str, HardwareSpec]:
    """Instance type name to hardware, from a ``describe_instance_types`` JSON file.

    Raises
    ------
    ConfigError
        When the file is unreadable or not in that shape.
    """
    try:
        raw = path.read_bytes()
        doc = json.loads(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)
        records = doc["InstanceTypes"]
        return {r["InstanceType"]: _spec(r) for r in records}
    except FileNotFoundError:
        raise ConfigError("no such file", source=str(path)) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"not describe_instance_types JSON ({exc.__class__.__name__})",
                          source=str(path)) from None


def _spec(r: dict) -> HardwareSpec:
    proc = r.get("ProcessorInfo", {})
    gpus = r.get("GpuInfo", {}).get("Gpus", [])
    return HardwareSpec(
        cores=int(r["VCpuInfo"]["DefaultVCpus"]),
        clock_ghz=float(proc.get("SustainedClockSpeedInGhz") or DEFAULT_CLOCK_GHZ),
        memory_gb=r.get("MemoryInfo", {}).get("SizeInMiB", 1024) / 1024.0,
        arch=(proc.get("SupportedArchitectures") or ["x86_64"])[0],
        accelerator=gpus[0]["Name"] if gpus else None,
    )


def candidate_hardware(tb: Testbed, path: Path | None = None) -> dict[str, HardwareSpec]:
    """Hardware of each cloud candidate: declared ``hardware`` if given, else its specs.

    The specs file is read only when some candidate declares no hardware.

    Raises
    ------
    ConfigError
        Naming the candidate when neither its declaration nor the specs describe it.
    """
    out = {c.id: HardwareSpec(**c.hardware.model_dump()) for c in tb.cloud
           if c.hardware is not None}
    missing = [(i, c) for i, c in enumerate(tb.cloud) if c.hardware is None]
    if not missing:
        return out
    path = path or instance_types_path()
    if not path.exists():
        i, c = missing[0]
        raise ConfigError(f"no hardware declared and no instance-type specs at {path} "
                          f"(declare hardware or set DELTA_INSTANCE_TYPES)",
                          field=f"cloud[{i}].hardware")
    specs = read_instance_types(path)
    for i, c in missing:
        if c.instance_type not in specs:
            raise ConfigError(f"instance type {c.instance_type!r} is not in {path.name}; "
                              f"declare its hardware", field=f"cloud[{i}].instance_type")
        out[c.id] = specs[c.instance_type]
    return out
