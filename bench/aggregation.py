"""Weighted FedAvg of 10 x 1M float32 parameters against the memory-bandwidth bound.

The bound: the bytes that must move (read every update once, write the result once)
divided by this machine's streaming bandwidth, measured here as the faster of a large
array copy (read + write) and a large BLAS dot product (read only).
Prints medians; run: ``.venv/bin/python bench/aggregation.py``.
"""

from __future__ import annotations

import os

# Memory-bound work gains nothing from BLAS threads on a shared 2-core machine, and
# contended threads add noise of 10x: measure (and run) aggregation single-threaded.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import statistics
import time

import numpy as np  # noqa: E402

from delta.fl.aggregation import FedAvg, Update, weighted_average

N_UPDATES, N_PARAMS, REPEATS = 10, 1_000_000, 15


def _median_s(fn, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    rng = np.random.default_rng(0)
    updates = [[rng.standard_normal(N_PARAMS, dtype=np.float32)] for _ in range(N_UPDATES)]
    weights = rng.integers(50, 500, N_UPDATES).astype(float)
    # Streaming bandwidth: read + write of a buffer far larger than the caches.
    src = np.ones(16 * N_PARAMS, dtype=np.float32)
    dst = np.empty_like(src)
    copy_s = _median_s(lambda: np.copyto(dst, src))
    dot_s = _median_s(lambda: float(np.dot(src, dst)))
    bandwidth = max(2 * src.nbytes / copy_s, 2 * src.nbytes / dot_s)
    moved = (N_UPDATES + 1) * N_PARAMS * 4
    bound_s = moved / bandwidth
    batch_s = _median_s(lambda: weighted_average([u for u in updates], weights))
    agg = FedAvg("samples")

    def eager() -> None:
        fold = agg.folder()
        for u, w in zip(updates, weights):
            fold.fold(Update(u, int(w), 1))
        fold.result()

    eager_s = _median_s(eager)
    print(f"streaming bandwidth: {bandwidth / 1e9:.1f} GB/s "
          f"(best of copy and dot over {src.nbytes >> 20} MiB)")
    print(f"bound for {N_UPDATES} x {N_PARAMS:,} float32: {bound_s * 1e3:.2f} ms")
    print(f"weighted_average (all at once): {batch_s * 1e3:.2f} ms "
          f"= {batch_s / bound_s:.2f}x the bound (target <= 1.5x)")
    print(f"eager fold (one update at a time): {eager_s * 1e3:.2f} ms "
          f"= {eager_s / bound_s:.2f}x the bound; {eager_s / N_UPDATES * 1e3:.2f} ms per arrival")


if __name__ == "__main__":
    main()
