"""Spot forecast accuracy on the real sa-east-1 history, and batch speed.

    .venv/bin/python bench/spot_forecast.py [--series 120] [--origins 12] [--seed 0]

Rolling origins (evenly spaced, from five weeks in) on a seeded sample of series; for
runs of 1, 24 and 72 hours each forecaster and the per-series choice price the run from
what was known at the origin, against the real cost.  Prints mean and median APE of the
expected cost, the share of actual costs inside p10-p90 (per-series choice), all series and
the "moving" ones (price range over the whole period > 25% of its mean), then the time to
price 200 series in one batch.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from delta.pricing import Estimator, PriceHistory, read_history_files  # noqa: E402
from delta.pricing.evaluation import CHOSEN, evaluate, summarize  # noqa: E402
from delta.pricing.forecasters.base import HOUR  # noqa: E402
from delta.pricing.history import to_iso  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "spot"
HORIZONS = (1, 24, 72)
DAY = 86400.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", type=int, default=120)
    ap.add_argument("--origins", type=int, default=12)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", type=Path, default=DATA)
    args = ap.parse_args()

    t = time.perf_counter()
    history = PriceHistory.from_records(read_history_files(sorted(args.data.glob("*.json*"))))
    print(f"loaded {len(history)} series in {time.perf_counter() - t:.1f} s")
    keys = sorted(history)
    random.Random(args.seed).shuffle(keys)
    keys = keys[:args.series]
    t_lo = min(history[k].start for k in keys) + 35 * DAY
    t_hi = max(history[k].end for k in keys) - max(HORIZONS) * HOUR
    origins = np.linspace(t_lo, t_hi, args.origins)
    origins = np.round(origins / 60) * 60 + 7 * 60  # not on the hour: jobs start any time
    moving = {k for k in keys
              if np.ptp(history[k].prices) > 0.25 * history[k].prices.mean()}
    print(f"{len(keys)} series ({len(moving)} moving), {len(origins)} origins "
          f"{to_iso(origins[0])[:10]}..{to_iso(origins[-1])[:10]}, horizons {HORIZONS} h")

    est = Estimator(history)
    t = time.perf_counter()
    cases = evaluate(est, keys, origins, HORIZONS)
    picks = Counter(c.chosen for c in cases)
    print(f"evaluated {len(cases)} cases in {time.perf_counter() - t:.1f} s; "
          f"choices: {dict(picks)}")

    names = [f.name for f in est.forecasters] + [CHOSEN]
    for label, subset in (("all series", cases),
                          ("moving series", [c for c in cases if c.key in moving])):
        rows = {(r.model, r.hours): r for r in summarize(subset)}
        print(f"\n{label}: mean APE % (median APE %) of expected cost")
        print(f"{'forecaster':<15}" + "".join(f"{f'{h} h':>20}" for h in HORIZONS))
        for name in names:
            print(f"{name:<15}" + "".join(
                f"{100 * rows[name, h].mean_ape:9.3f} ({100 * rows[name, h].median_ape:6.3f})"
                .rjust(20) for h in HORIZONS))
        print(f"{'chosen/last':<15}" + "".join(
            f"{rows[CHOSEN, h].mean_ape / rows['last_value', h].mean_ape:>20.3f}"
            for h in HORIZONS))
        print(f"{'p10-p90 cover':<15}" + "".join(
            f"{100 * rows[CHOSEN, h].coverage:>19.1f}%" for h in HORIZONS))
        print(f"{'cases':<15}" + "".join(f"{rows[CHOSEN, h].cases:>20}" for h in HORIZONS))

    # Speed: one batch of 200 distinct series (72 h runs, zone given), fresh estimator.
    batch = sorted(history)[:200]
    start = origins[len(origins) // 2]
    times = []
    for _ in range(3):
        fresh = Estimator(history)
        t = time.perf_counter()
        for k in batch:
            fresh.estimate(k.instance_type, k.product, start, 72, az=k.az)
        times.append(time.perf_counter() - t)
    print(f"\n200 series x 72 h, one batch: median {statistics.median(times):.2f} s "
          f"over 3 runs ({', '.join(f'{x:.2f}' for x in times)})")


if __name__ == "__main__":
    main()
