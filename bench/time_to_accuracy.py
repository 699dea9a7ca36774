"""Time to accuracy: uniform vs proportional vs delta, side by side, same seeds.

The FLoX testbed (10 emulated devices) with its declared hardware made uninformative
(every endpoint declares the same cores, clock, memory and link), so proportional
balancing has nothing to go on and delta must learn the hidden speeds from observations.
Every strategy trains on the same partition with the same seeds, on one shared local
Globus Compute engine, each with a fresh observation store; the strategies advance round
by round in turn, so a busy spell of the shared host hits them all alike.

Prints, per strategy: virtual seconds to the target validation accuracy, final accuracy,
dollars, the sample-epochs folded into the global model (in-time updates and late ones
carried into the next round); the speed-ups of delta; and the dispatch overhead per task
on the local engine (median round trip of a no-op task, and per task in a burst).

Prints, over all seeds: delta's speed-up per seed, the median and the worst; its final
accuracy gap per seed and their mean with a 95% t interval; and each strategy's final
accuracy from seed to seed (mean and SD): the validation split is 360 digits (one is
0.28 pp), and a seed's partition and training order move a run's final accuracy by about
a point, so one seed's gap says little and the mean over seeds says more.

Run: ``.venv/bin/python bench/time_to_accuracy.py [--seeds 0,1,2] [--rounds 6] [--target 0.9]``
"""

from __future__ import annotations

import argparse
import json
import operator
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from delta.config import Testbed, load_testbed  # noqa: E402

UNINFORMATIVE = {"cores": 4, "memory_gb": 4.0, "clock_ghz": 1.5, "arch": "arm64"}


def uninformative(tb: Testbed) -> Testbed:
    """The same testbed with one declared hardware and link for every endpoint."""
    raw = tb.model_dump(mode="json")
    for ep in raw["endpoints"]:
        ep["hardware"] = dict(UNINFORMATIVE)
        ep["network"] = {"bandwidth_mbps": 50.0, "latency_ms": 20.0}
    raw["name"] = tb.name + "-uninformative"
    return Testbed.model_validate(raw)


def time_to(record: dict, target: float) -> float | None:
    for r in record["rounds"]:
        if r["accuracy"] is not None and r["accuracy"] >= target:
            return r["elapsed_s"]
    return None


def folded_work(record: dict) -> int:
    """Sample-epochs folded into the global model over the run (in time, or carried)."""
    return sum(e["samples"] * e["epochs"] for r in record["rounds"] if r["complete"]
               for e in [*r["endpoints"], *r.get("carried", ())]
               if e.get("outcome") == "ok" or e.get("folded"))


def dispatch_overhead(engine, n: int = 200) -> tuple[float, float]:
    """(median ms of one no-op round trip, ms per task in a burst of ``n``)."""
    for _ in range(20):  # warm: workers up, modules imported
        engine.submit(operator.add, 1, 1).result()
    trips = []
    for i in range(n):
        t = time.perf_counter()
        engine.submit(operator.add, i, 1).result()
        trips.append(time.perf_counter() - t)
    t = time.perf_counter()
    for f in [engine.submit(operator.add, i, 1) for i in range(n)]:
        f.result()
    burst = (time.perf_counter() - t) / n
    return statistics.median(trips) * 1e3, burst * 1e3


def run_seed(tb: Testbed, engine, args, seed: int) -> dict[str, dict]:
    """Every strategy on ``tb`` with ``seed``, interleaved round by round."""
    from delta.fl.api import iter_testbed

    records: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        runs = {name: iter_testbed(tb, rounds=args.rounds, strategy=name, seed=seed,
                                   calibrate=args.calibrate, weighting=args.weighting,
                                   staleness=args.staleness,
                                   db=Path(tmp) / f"{name}.sqlite3",
                                   checkpoint_dir=Path(tmp) / name, engine=engine)
                for name in args.strategies.split(",")}
        for name in runs:
            next(runs[name])  # validate and start every run before any round
        for rnd in range(1, args.rounds + 1):
            for name, run in runs.items():
                records[name] = next(run).record
                r = records[name]["rounds"][-1]
                moved = f", moved {len(r['moves'])}" if r["moves"] else ""
                carried = sum(c["folded"] for c in r.get("carried", ()))
                moved += f", carried {carried}" if carried else ""
                print(f"seed {seed} round {rnd} {name:>12}: {r['round_s']:6.2f} s (virtual), "
                      f"accuracy {r['accuracy']:.4f}, {r['participants']}/"
                      f"{len(r['endpoints'])} in time{moved}, wall {r['wall_s']:.1f} s",
                      flush=True)
        for run in runs.values():
            run.close()
    return records


def report_seed(records: dict[str, dict], args, seed: int) -> dict[str, float | None]:
    """Print one seed's table; return delta's speed-up over each baseline."""
    print(f"\nseed {seed}, {args.rounds} rounds, target accuracy {args.target}")
    print(f"{'strategy':>12} {'to target s':>12} {'final acc':>10} {'elapsed s':>10} {'usd':>8} "
          f"{'folded s-e':>10}")
    tt = {}
    for name, rec in records.items():
        tt[name] = time_to(rec, args.target)
        shown = "not reached" if tt[name] is None else f"{tt[name]:.1f}"
        print(f"{name:>12} {shown:>12} {rec['final_accuracy']:>10.4f} {rec['elapsed_s']:>10.1f} "
              f"{rec['usd']:>8.4f} {folded_work(rec):>10}")
    for target in [float(x) for x in args.also.split(",") if x]:
        shown = []
        for name, rec in records.items():
            t = time_to(rec, target)
            shown.append(f"{name} {'-' if t is None else f'{t:.1f} s'}")
        print(f"to {target}: " + ", ".join(shown))
    ratios: dict[str, float | None] = {}
    for base in ("uniform", "proportional"):
        if "delta" in tt and base in tt:
            ok = tt["delta"] and tt[base]
            ratios[base] = tt[base] / tt["delta"] if ok else None
            ratios[base + "_gap_pp"] = (records["delta"]["final_accuracy"]
                                        - records[base]["final_accuracy"]) * 100
    return ratios


def mean_gap(gaps: list[float | None]) -> str:
    """The mean of the seeds' final accuracy gaps with its 95% t interval."""
    g = [x for x in gaps if x is not None]
    if len(g) < 2:
        return "one seed: no interval"
    from scipy.stats import t

    half = t.ppf(0.975, len(g) - 1) * statistics.stdev(g) / len(g) ** 0.5
    m = statistics.mean(g)
    return f"mean {m:+.2f} pp (95% CI {m - half:+.2f} to {m + half:+.2f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--testbed", default=str(ROOT / "examples" / "flox-testbed.yaml"))
    ap.add_argument("--declared-hardware", action="store_true",
                    help="keep the testbed's declared hardware (informative)")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--target", type=float, default=0.9,
                    help="validation accuracy to reach (also reported: --also)")
    ap.add_argument("--also", default="0.85,0.92", help="further targets to report")
    ap.add_argument("--seeds", default="0,1,2", help="comma-separated seeds")
    ap.add_argument("--calibrate", action="store_true", help="delta: calibration round first")
    ap.add_argument("--strategies", default="uniform,proportional,delta")
    ap.add_argument("--weighting", choices=("samples", "sample_epochs", "equal"),
                    help="FedAvg weights for every strategy (default: each strategy's own)")
    ap.add_argument("--staleness", type=float, default=0.5,
                    help="a late update carried into the next round counts 2**-this as much")
    ap.add_argument("--json", type=Path, help="write all records here")
    args = ap.parse_args()

    from delta.fl.executors.engine import EngineExecutor

    tb = load_testbed(args.testbed)
    if not args.declared_hardware:
        tb = uninformative(tb)
    os.environ.setdefault("HOME", tempfile.mkdtemp())
    seeds = [int(x) for x in args.seeds.split(",")]
    engine = EngineExecutor(workers=2, warm=True)
    all_records, ratios = {}, {}
    try:
        per_task_ms, burst_ms = dispatch_overhead(engine)
        for seed in seeds:
            all_records[seed] = run_seed(tb, engine, args, seed)
            ratios[seed] = report_seed(all_records[seed], args, seed)
    finally:
        engine.shutdown()

    print(f"\n{tb.name}: delta's speed-up to accuracy {args.target} over {len(seeds)} seeds")
    for base, goal in (("uniform", 1.5), ("proportional", 1.2)):
        got = [ratios[s].get(base) for s in seeds]
        gaps = [ratios[s].get(base + "_gap_pp") for s in seeds]
        if not any(g is not None for g in got):
            continue
        shown = ", ".join("miss" if g is None else f"{g:.2f}x" for g in got)
        valid = [g for g in got if g is not None]
        worst = "a run missed the target" if None in got else f"{min(valid):.2f}x"
        print(f"vs {base:>12}: {shown}; median {statistics.median(valid):.2f}x, worst {worst} "
              f"(target >= {goal}x); final accuracy gap "
              f"{min(g for g in gaps if g is not None):+.2f} to "
              f"{max(g for g in gaps if g is not None):+.2f} pp, {mean_gap(gaps)}")
    if len(seeds) > 1:
        finals = {name: [all_records[s][name]["final_accuracy"] * 100 for s in seeds]
                  for name in args.strategies.split(",")}
        print("final accuracy from seed to seed (each seed its own partition and training): "
              + ", ".join(f"{name} {statistics.mean(v):.2f}% +- {statistics.stdev(v):.2f} pp "
                          "(SD)" for name, v in finals.items()))
    print(f"dispatch overhead on the local engine: {per_task_ms:.2f} ms per task (median round "
          f"trip of a no-op), {burst_ms:.2f} ms per task in a burst of 200 (target <= 10 ms)")
    if args.json:
        args.json.write_text(json.dumps({str(s): r for s, r in all_records.items()}, indent=1))


if __name__ == "__main__":
    main()
