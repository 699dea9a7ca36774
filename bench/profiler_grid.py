"""Measure the project's real Keras training task over a grid of configurations.

Used by ``bench/profiler_accuracy.py --regenerate``; runnable alone too::

    uv run python bench/profiler_grid.py            # writes bench/data/profiler_grid.csv

TensorFlow's thread settings are fixed per process, so every worker process runs one
thread count and a shuffled share of the grid (both model sizes interleaved), after one
discarded warm-up task per model size (a warm Globus Compute worker has TensorFlow
imported already).  Worker processes differ in speed by tens of percent (memory layout,
the machine's other load while they ran), as an endpoint's workers do: each endpoint has
several, their shares interleaved in time with the other endpoint's, so that a process's
speed is run noise spread over the grid, not a difference between model sizes or
endpoints.  (The first grid ran each model size in its own two processes per endpoint: one
endpoint's larger model came out 1.37x the smaller and the other's 0.99x, a difference
between processes that the profiler read as a difference in the endpoints' laws; measured
this way, 1.12x / 1.12x and 1.13x / 1.24x.  It is kept as
``bench/data/profiler_grid_first.csv``.)  A few configurations are repeated in every
worker to measure the noise floor.

The grid is measured :data:`MEASUREMENTS` times, each with its own processes and order: a
designed selection's edge over a random one is a point or so, and one measurement's
process speeds move it by as much.  Each row is an observation record
(``docs/contracts.md``) plus ``build_s``, ``train_s``, ``measurement``, ``worker`` (within
its measurement) and ``repeat`` columns.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "data" / "profiler_grid.csv"
BUILDER = "delta.fl.models:digits_mlp"
MODELS = {"small": {"hidden": 32, "layers": 1}, "large": {"hidden": 256, "layers": 2}}
SAMPLES = (100, 250, 600, 1400)
EPOCHS = (1, 2, 5, 10)
BATCH = (16, 32, 128)
THREADS = (1, 2)
#: This configuration is repeated REPEATS times per model size in every worker.
REPEAT_CONFIG = (600, 2, 32)
REPEATS = 2
WORKERS_PER_ENDPOINT = 4
MEASUREMENTS = 4
COLUMNS = ("endpoint", "task", "samples", "epochs", "batch_size", "threads", "model_params",
           "bytes", "seconds", "ok", "cores", "clock_ghz", "memory_gb", "arch", "build_s",
           "train_s", "measurement", "worker", "repeat")


def worker(spec: dict) -> None:
    """Run ``spec["configs"]`` in this process, one JSON line per finished task."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from delta.fl.task import train_task

    data = {"source": "sklearn:digits"}
    threads = spec["threads"]
    for model in MODELS:  # warm-up
        train_task(BUILDER, None, data, 50, 1, 16, builder_kwargs=MODELS[model],
                   threads=threads)
    for samples, epochs, batch, model, repeat in spec["configs"]:
        out = train_task(BUILDER, None, data, samples, epochs, batch,
                         builder_kwargs=MODELS[model], threads=threads,
                         seed=len(spec["configs"]))
        t = out["timings"]
        print(json.dumps({
            "endpoint": f"local-t{threads}", "task": "train", "samples": out["samples"],
            "epochs": epochs, "batch_size": batch, "threads": threads,
            "model_params": out["model_params"], "bytes": 0, "seconds": round(t["total"], 5),
            "ok": 1, "cores": threads, "clock_ghz": 2.0, "memory_gb": 4.0, "arch": "x86_64",
            "build_s": round(t["build"], 5), "train_s": round(t["train"], 5),
            "worker": spec["worker"], "repeat": int(repeat)}), flush=True)


def worker_specs(seed: int = 0) -> list[dict]:
    """The grid split into shuffled per-process shares, repeats in every worker; the
    endpoints' workers alternate (the machine's load drifts over the minutes they run)."""
    rng = random.Random(seed)
    shares = {}
    for threads in THREADS:
        configs = [(*c, 0) for c in itertools.product(SAMPLES, EPOCHS, BATCH, MODELS)]
        rng.shuffle(configs)
        shares[threads] = [configs[w::WORKERS_PER_ENDPOINT] for w in range(WORKERS_PER_ENDPOINT)]
    specs = []
    for w, threads in itertools.product(range(WORKERS_PER_ENDPOINT), THREADS):
        share = shares[threads][w] + [(*REPEAT_CONFIG, m, 1) for m in MODELS] * REPEATS
        rng.shuffle(share)
        specs.append({"threads": threads, "worker": len(specs), "configs": share})
    return specs


def generate(out: Path = DEFAULT_OUT, seed: int = 0, measurements: int = MEASUREMENTS) -> Path:
    """Run every worker of each measurement (one at a time: the machine is shared) and
    write the CSV; measurement ``m`` is :func:`worker_specs` of ``seed + m``."""
    specs = [(m, spec) for m in range(measurements) for spec in worker_specs(seed + m)]
    total = sum(len(spec["configs"]) for _, spec in specs)
    rows: list[dict] = []
    t0 = time.perf_counter()
    for m, spec in specs:
        proc = subprocess.run([sys.executable, __file__, "--worker", json.dumps(spec)],
                              capture_output=True, text=True, check=False,
                              cwd=HERE.parent)
        if proc.returncode != 0:
            sys.exit(f"worker {spec['worker']} failed:\n{proc.stderr[-2000:]}")
        rows.extend({**json.loads(line), "measurement": m}
                    for line in proc.stdout.splitlines() if line.startswith("{"))
        print(f"[{time.perf_counter() - t0:6.0f} s] {len(rows)}/{total} tasks measured",
              file=sys.stderr, flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return out


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        worker(json.loads(sys.argv[2]))
    else:
        print(f"wrote {generate()}")
