"""The observation record: what one finished task really took.

The record is a public contract (``docs/contracts.md``).  Files are CSV (header row) or
JSON lines; both carry the same columns.  Unknown numeric columns become ``extra`` features.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from delta.errors import ObservationError

#: Integer configuration variables, in record order.
INT_FIELDS = ("samples", "epochs", "batch_size", "threads", "model_params", "bytes")
#: Hardware columns that may appear on any row (they describe the endpoint, not the task).
HARDWARE_FIELDS = ("cores", "clock_ghz", "memory_gb", "arch", "accelerator")
COLUMNS = ("endpoint", "task", *INT_FIELDS, "seconds", "ok", "timestamp")


@dataclass(frozen=True, slots=True)
class Observation:
    """One measured task.

    ``task`` is the kind of work (``train``, ``transfer``, ...); ``seconds`` its measured
    duration; ``ok`` whether it finished.  ``extra`` holds any further numeric features.
    """

    endpoint: str
    seconds: float
    task: str = "train"
    samples: int = 0
    epochs: int = 0
    batch_size: int = 0
    threads: int = 0
    model_params: int = 0
    bytes: int = 0
    ok: bool = True
    timestamp: float | None = None
    extra: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if not d["extra"]:
            del d["extra"]
        if d["timestamp"] is None:
            del d["timestamp"]
        return d


def _as_bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    s = str(value).strip().lower()
    if s in ("1", "true", "yes", "ok", "y", "t", ""):
        return True
    if s in ("0", "false", "no", "failed", "n", "f"):
        return False
    raise ObservationError(f"'ok' must be true or false, got {value!r}", field=where)


def _as_number(value: Any, name: str, where: str, *, integer: bool) -> float:
    if isinstance(value, bool):
        raise ObservationError(f"{name!r} must be a number, got {value!r}", field=where)
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ObservationError(f"{name!r} must be a number, got {value!r}", field=where) from None
    if not math.isfinite(x):
        raise ObservationError(f"{name!r} must be finite, got {value!r}", field=where)
    if x < 0:
        raise ObservationError(f"{name!r} must not be negative, got {value!r}", field=where)
    if integer and x != int(x):
        raise ObservationError(f"{name!r} must be a whole number, got {value!r}", field=where)
    return x


def observation_from_mapping(row: dict[str, Any], where: str = "") -> Observation:
    """Validate one record (a CSV row or JSON object) into an :class:`Observation`."""
    endpoint = row.get("endpoint")
    if endpoint is None or str(endpoint).strip() == "":
        raise ObservationError("missing column 'endpoint'", field=where or None)
    if row.get("seconds") in (None, ""):
        raise ObservationError("missing column 'seconds'", field=where or None)
    kwargs: dict[str, Any] = {
        "endpoint": str(endpoint).strip(),
        "task": str(row.get("task") or "train").strip(),
        "seconds": _as_number(row["seconds"], "seconds", where, integer=False),
        "ok": _as_bool(row.get("ok", True), where),
    }
    for name in INT_FIELDS:
        v = row.get(name)
        if v not in (None, ""):
            kwargs[name] = int(_as_number(v, name, where, integer=True))
    ts = row.get("timestamp")
    if ts not in (None, ""):
        kwargs["timestamp"] = _as_number(ts, "timestamp", where, integer=False)
    extra: dict[str, float] = {}
    nested = row.get("extra") or {}
    if not isinstance(nested, dict):
        raise ObservationError("'extra' must be a mapping of numbers", field=where or None)
    known = set(COLUMNS) | set(HARDWARE_FIELDS) | {"extra"}
    for k, v in [*nested.items(), *((k, v) for k, v in row.items() if k not in known)]:
        if v in (None, ""):
            continue
        extra[str(k)] = _as_number(v, str(k), where, integer=False)
    kwargs["extra"] = extra
    return Observation(**kwargs)


def _rows(text: str, source: str) -> Iterator[tuple[str, dict[str, Any]]]:
    stripped = text.lstrip()
    if stripped.startswith("{"):
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ObservationError(
                    f"malformed JSON: {exc.msg}", source=source, field=f"line {n}"
                ) from None
            if not isinstance(obj, dict):
                raise ObservationError("expected a JSON object", source=source, field=f"line {n}")
            yield f"line {n}", obj
    else:
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames:
            return
        for n, row in enumerate(reader, 2):
            if None in row:
                raise ObservationError("more values than header columns", source=source,
                                       field=f"line {n}")
            yield f"line {n}", {k.strip(): (v.strip() if isinstance(v, str) else v)
                                for k, v in row.items() if k is not None}


def read_rows(path: str | Path) -> list[tuple[str, dict[str, Any]]]:
    """Read raw rows (location, mapping) from a CSV or JSON lines file."""
    p = Path(path)
    try:
        text = p.read_text()
    except FileNotFoundError:
        raise ObservationError("no such file", source=str(p)) from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise ObservationError(f"cannot read: {exc.__class__.__name__}", source=str(p)) from None
    return list(_rows(text, str(p)))


def read_observations(path: str | Path) -> list[Observation]:
    """Read and validate every record of an observation file (CSV or JSON lines)."""
    return [o for _, o in read_located_observations(path)]


def read_located_observations(path: str | Path) -> list[tuple[str, Observation]]:
    """:func:`read_observations` with each record's location (``"line N"``) for errors."""
    out = []
    for where, row in read_rows(path):
        try:
            out.append((where, observation_from_mapping(row, where)))
        except ObservationError as exc:
            exc.source = str(path)
            raise
    return out


def write_observations(observations: Iterable[Observation], fmt: str, stream: io.TextIOBase) -> int:
    """Write records as ``csv`` or ``jsonl``; returns how many were written."""
    n = 0
    if fmt == "jsonl":
        for obs in observations:
            stream.write(json.dumps(obs.to_dict()) + "\n")
            n += 1
        return n
    if fmt != "csv":
        raise ObservationError(f"unknown format {fmt!r} (use csv or jsonl)")
    obs_list = list(observations)
    extras = sorted({k for o in obs_list for k in o.extra})
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow([*COLUMNS, *extras])
    for o in obs_list:
        d = o.to_dict()
        writer.writerow(
            [d.get(c, "") if c != "ok" else int(o.ok) for c in COLUMNS]
            + [o.extra.get(k, "") for k in extras]
        )
    return len(obs_list)
