"""Weighted FedAvg of 10 updates of 1M and 10M float32 parameters against the memory bound.

The bound is measured in the same run, on the same arrays: the time numpy needs just to
read the 10 updates once (the faster of ``u.sum()`` and BLAS ``dot(u, u)``) plus the time
to write one fresh result array (``np.empty`` + ``fill``) — the bytes any aggregation
must touch.  Each repeat times the bound, ``weighted_average`` (all updates at once) and
the eager fold (one update at a time, as they arrive) back to back, each after writing a
scratch buffer twice the last-level cache (a large model's updates are not in cache
when they arrive); the ratios are medians over the repeats, so a busy spell of the
shared host hits all three alike.

A 10M-parameter model (40 MB per update) is beyond the 32 MiB last-level cache: there the
running sum of an eager fold cannot stay in cache, which is what folding arrivals a few at
a time (``EagerFold(hold=...)``) is for; ``--hold`` compares hold values side by side.

Run: ``.venv/bin/python bench/aggregation.py [--repeats 21] [--params 1000000,10000000]``
"""

from __future__ import annotations

import os

# Memory-bound work gains nothing from BLAS threads on a shared 2-core machine, and
# contended threads add noise of 10x: measure (and run) aggregation single-threaded.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from delta.fl.aggregation import EagerFold, FedAvg, Update, weighted_average  # noqa: E402


#: Written before every timed call: twice a 32 MiB last-level cache.
_SCRATCH = np.zeros(16 << 20, np.float32)


def _seconds(fn) -> float:
    np.add(_SCRATCH, 1.0, out=_SCRATCH)  # evict the arrays of the previous call
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--updates", type=int, default=10)
    ap.add_argument("--params", default="1000000,10000000",
                    help="comma-separated model sizes (float32 parameters)")
    ap.add_argument("--repeats", type=int, default=21)
    ap.add_argument("--hold", default="4", help="comma-separated EagerFold hold values")
    args = ap.parse_args()
    holds = [int(h) for h in args.hold.split(",")]
    for n in (int(p) for p in args.params.split(",")):
        measure(args.updates, n, args.repeats, holds)


def measure(k: int, n: int, repeats: int, holds: list[int]) -> None:
    """Time the bound, all-at-once and the eager fold(s) for ``k`` updates of ``n``."""
    rng = np.random.default_rng(0)
    updates = [[rng.standard_normal(n, dtype=np.float32)] for _ in range(k)]
    samples = rng.integers(50, 500, k)
    agg = FedAvg("samples")

    def read_sum() -> None:
        for (u,) in updates:
            u.sum()

    def read_dot() -> None:
        for (u,) in updates:
            np.dot(u, u)

    def write() -> None:
        np.empty(n, np.float32).fill(1.0)

    def batch() -> None:
        weighted_average([u for u in updates], samples.tolist())

    def eager(hold: int):
        def run() -> None:
            fold = EagerFold(agg, hold=hold)
            for u, s in zip(updates, samples.tolist()):
                fold.fold(Update(u, s, 1))
            fold.result()
        return run

    eagers = {h: eager(h) for h in holds}
    for fn in (read_sum, read_dot, write, batch, *eagers.values()):  # warm caches, allocator
        fn()
    bound: list[float] = []
    times: dict[str, list[float]] = {"batch": [], **{f"hold {h}": [] for h in holds}}
    for _ in range(repeats):
        b = min(_seconds(read_sum), _seconds(read_dot)) + _seconds(write)
        bound.append(b)
        times["batch"].append(_seconds(batch))
        for h, fn in eagers.items():
            times[f"hold {h}"].append(_seconds(fn))
    moved = (k + 1) * n * 4
    med = statistics.median
    print(f"{k} x {n:,} float32, {repeats} repeats (medians)")
    print(f"  bound (read {k} updates + write 1 result, {moved / 1e6:.0f} MB): "
          f"{med(bound) * 1e3:.2f} ms = {moved / med(bound) / 1e9:.1f} GB/s")
    for key, ts in times.items():
        ratio = med([t / b for t, b in zip(ts, bound)])
        what = ("weighted_average (all at once)" if key == "batch"
                else f"eager fold ({key}: as updates arrive)")
        print(f"  {what}: {med(ts) * 1e3:.2f} ms, {ratio:.2f}x the bound (target <= 1.5x)")


if __name__ == "__main__":
    main()
