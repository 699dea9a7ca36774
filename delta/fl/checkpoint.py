"""Checkpoints: the global model and the run record after every round.

The weights go to a new file per round (``weights-NNNN.npz``); then the record
(``run.json``), which names that file, replaces the previous record atomically (write,
fsync, rename); only then are older weight files removed.  A crash at any point leaves a
record whose weights file exists.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from delta.errors import DeltaError

RECORD = "run.json"


def _write_atomic(path: Path, write) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        write(fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def save(directory: Path, record: dict[str, Any], weights: list[np.ndarray]) -> None:
    """Store the record and the global weights after its last round."""
    directory.mkdir(parents=True, exist_ok=True)
    name = f"weights-{len(record.get('rounds', [])):04d}.npz"
    _write_atomic(directory / name,
                  lambda fh: np.savez(fh, **{f"w{i}": w for i, w in enumerate(weights)}))
    body = json.dumps({**record, "checkpoint": name}, indent=1).encode()
    _write_atomic(directory / RECORD, lambda fh: fh.write(body))
    for old in directory.glob("weights-*.npz"):
        if old.name != name:
            old.unlink(missing_ok=True)


def load(directory: Path) -> tuple[dict[str, Any], list[np.ndarray]] | None:
    """The last checkpoint in ``directory`` (record, weights), or ``None`` if there is none."""
    rec_path = directory / RECORD
    if not rec_path.exists():
        return None
    try:
        record = json.loads(rec_path.read_text())
        with np.load(directory / record.pop("checkpoint")) as f:
            weights = [f[f"w{i}"] for i in range(len(f.files))]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DeltaError(f"unreadable checkpoint: {exc}", source=str(directory)) from None
    return record, weights
