"""Measure the project's real Keras training task over a grid of configurations.

Used by ``bench/profiler_accuracy.py --regenerate``; runnable alone too::

    uv run python bench/profiler_grid.py            # writes bench/data/profiler_grid.csv

TensorFlow's thread settings are fixed per process, so every worker process runs one
thread count and a shuffled share of the grid, after one discarded warm-up task (a warm
Globus Compute worker has TensorFlow imported already).  A few configurations are
repeated in every worker of their group to measure the noise floor.  Each row is an
observation record (``docs/contracts.md``) plus ``build_s``, ``train_s``, ``worker`` and
``repeat`` columns.
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
#: Per (threads, model) group: this configuration is repeated REPEATS times per worker.
REPEAT_CONFIG = (600, 2, 32)
REPEATS = 3
WORKERS_PER_GROUP = 2
COLUMNS = ("endpoint", "task", "samples", "epochs", "batch_size", "threads", "model_params",
           "bytes", "seconds", "ok", "cores", "clock_ghz", "memory_gb", "arch", "build_s",
           "train_s", "worker", "repeat")


def worker(spec: dict) -> None:
    """Run ``spec["configs"]`` in this process, one JSON line per finished task."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from delta.fl.task import train_task

    data = {"source": "sklearn:digits"}
    kwargs = MODELS[spec["model"]]
    threads = spec["threads"]
    train_task(BUILDER, None, data, 50, 1, 16, builder_kwargs=kwargs, threads=threads)  # warm-up
    for samples, epochs, batch, repeat in spec["configs"]:
        out = train_task(BUILDER, None, data, samples, epochs, batch, builder_kwargs=kwargs,
                         threads=threads, seed=len(spec["configs"]))
        t = out["timings"]
        print(json.dumps({
            "endpoint": f"local-t{threads}", "task": "train", "samples": out["samples"],
            "epochs": epochs, "batch_size": batch, "threads": threads,
            "model_params": out["model_params"], "bytes": 0, "seconds": round(t["total"], 5),
            "ok": 1, "cores": threads, "clock_ghz": 2.0, "memory_gb": 4.0, "arch": "x86_64",
            "build_s": round(t["build"], 5), "train_s": round(t["train"], 5),
            "worker": spec["worker"], "repeat": int(repeat)}), flush=True)


def worker_specs(seed: int = 0) -> list[dict]:
    """The grid split into shuffled per-process shares, repeats spread over every worker."""
    rng = random.Random(seed)
    specs = []
    for threads, model in itertools.product(THREADS, MODELS):
        configs = [(*c, 0) for c in itertools.product(SAMPLES, EPOCHS, BATCH)]
        rng.shuffle(configs)
        for w in range(WORKERS_PER_GROUP):
            share = configs[w::WORKERS_PER_GROUP] + [(*REPEAT_CONFIG, 1)] * REPEATS
            rng.shuffle(share)
            specs.append({"threads": threads, "model": model, "worker": len(specs),
                          "configs": share})
    return specs


def generate(out: Path = DEFAULT_OUT, seed: int = 0) -> Path:
    """Run every worker (one at a time: the machine is shared) and write the CSV."""
    specs = worker_specs(seed)
    total = sum(len(s["configs"]) for s in specs)
    rows: list[dict] = []
    t0 = time.perf_counter()
    for spec in specs:
        proc = subprocess.run([sys.executable, __file__, "--worker", json.dumps(spec)],
                              capture_output=True, text=True, check=False,
                              cwd=HERE.parent)
        if proc.returncode != 0:
            sys.exit(f"worker {spec['worker']} failed:\n{proc.stderr[-2000:]}")
        rows.extend(json.loads(line) for line in proc.stdout.splitlines()
                    if line.startswith("{"))
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
