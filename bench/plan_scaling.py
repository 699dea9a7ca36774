"""Plan latency against the number of endpoints: ``python bench/plan_scaling.py``.

Prints the median of repeats for

- the analytic path (nothing to place) in-process, 10 to 100,000 endpoints, with
  hardware-prior profiles, and the fitted growth exponent of latency in n;
- the optuna NSGA-II path (half the sites movable, two cloud candidates) at 10, 100, 1,000;
- the whole ``delta plan`` command (a fresh process, imports included) for 1,000 endpoints
  with five observations each: nothing to place; a cloud candidate and movable data; and
  that candidate priced by the spot predictor from the real sa-east-1 history
  (``--prices`` with ``../shared/data/spot``, when present).

``--quick`` stops the in-process sweep at 10,000 endpoints.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from profiler.hardware import HardwareSpec  # noqa: E402
from profiler.profiles import fit_profiles  # noqa: E402
from tuner import CandidateSpec, EndpointSpec, Problem, make_plan  # noqa: E402


def problem(n: int, movable: bool, seed: int = 0) -> Problem:
    rng = np.random.default_rng(seed)
    eps = tuple(EndpointSpec(
        id=f"e{i}", hardware=HardwareSpec(cores=int(rng.integers(1, 17)),
                                          clock_ghz=float(rng.uniform(0.8, 3.6))),
        samples=int(rng.integers(200, 2000)), bytes=int(rng.integers(10**5, 10**8)),
        movable=movable and i % 2 == 0, bandwidth_mbps=float(rng.uniform(5, 500)))
        for i in range(n))
    cands = tuple(CandidateSpec(id=f"c{j}", instance_type="c5.2xlarge",
                                hardware=HardwareSpec(cores=8 * (j + 1), clock_ghz=3.4),
                                price_per_hour=0.14 * (j + 1), startup_s=60.0)
                  for j in range(2)) if movable else ()
    return Problem(name=f"bench-{n}", endpoints=eps, candidates=cands, rounds=50)


def median_seconds(fn, repeats: int, cpu: list[float] | None = None) -> float:
    """Median wall seconds of ``fn``; its CPU seconds (this process) go into ``cpu``."""
    times = []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - t)
        if cpu is not None:
            cpu.append(time.process_time() - c)
    return statistics.median(times)


def in_process(n: int, movable: bool, repeats: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``make_plan`` for ``n`` endpoints."""
    p = problem(n, movable)
    hw = {e.id: e.hardware for e in (*p.endpoints, *p.candidates)}
    profiles = fit_profiles([], hw)
    make_plan(p, profiles)  # warm-up: imports (optuna) and caches
    cpu: list[float] = []
    return median_seconds(lambda: make_plan(p, profiles), repeats, cpu), statistics.median(cpu)


SPOT = ROOT.parent / "shared" / "data" / "spot"


def cli_inputs(d: Path, n: int, cloud: bool) -> None:
    """Write the testbed ``tb.yaml`` and ``obs.csv`` (five runs per endpoint) into ``d``."""
    rng = np.random.default_rng(1)
    tb = {"name": f"cli-{n}", "rounds": 50, "round": {"samples": 1000, "epochs": 10},
          "endpoints": [{"id": f"e{i}", "hardware": {"cores": int(rng.integers(1, 17)),
                                                     "clock_ghz": float(rng.uniform(0.8, 3.6))},
                         "data": {"samples": 1000, "bytes": 1_000_000,
                                  "movable": cloud and i % 2 == 0}} for i in range(n)]}
    if cloud:
        tb["cloud"] = [{"id": "aws-c5", "instance_type": "c5.2xlarge", "price_per_hour": 0.14,
                        "region": "sa-east-1", "hardware": {"cores": 8, "clock_ghz": 3.4}}]
    rows = ["endpoint,samples,epochs,seconds"]
    for i in range(n):
        o, k = rng.uniform(0.2, 2), 10 ** rng.uniform(-5, -2)
        rows += [f"e{i},{s},{e},{o + k * s * e * rng.lognormal(0, 0.03):.6f}"
                 for s, e in [(1000, 1), (500, 4), (1000, 3), (200, 10), (800, 2)]]
    (d / "tb.yaml").write_text(yaml.safe_dump(tb))
    (d / "obs.csv").write_text("\n".join(rows) + "\n")


def cli(n: int, cloud: bool, repeats: int, prices: tuple[Path, ...] = ()) -> float:
    """Median seconds of the real ``delta plan`` subprocess, with where its time goes."""
    with tempfile.TemporaryDirectory() as d:
        cli_inputs(Path(d), n, cloud)
        cmd = [str(Path(sys.executable).parent / "delta"), "plan", f"{d}/tb.yaml",
               "-o", f"{d}/obs.csv", "--no-store", "-f", "json"]
        for f in prices:
            cmd += ["--prices", str(f)]

        cpu: list[float] = []

        def run() -> None:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)

        total = median_seconds(run, repeats)
        what = ("spot-priced candidate (--prices)" if prices else
                "cloud candidate, movable data" if cloud else "nothing to place")
        where = "" if prices else f";  in-process: {phases(Path(d))}"
        # CPU seconds too: on a shared machine the wall clock also counts waiting for a core.
        print(f"  {what:32s}  median {total:6.2f} s wall, {statistics.median(cpu):5.2f} s CPU"
              f"{where}")
        return total


def phases(d: Path) -> str:
    """Where the command's time goes, measured in a fresh interpreter (imports included)."""
    code = (
        "import time; t0 = time.perf_counter()\n"
        "from delta.cli import plan\n"
        "from delta.config import load_testbed\n"
        "from delta.observations import read_observations\n"
        "from delta.planning import plan_testbed\n"
        "t1 = time.perf_counter()\n"
        f"tb = load_testbed('{d}/tb.yaml'); obs = read_observations('{d}/obs.csv')\n"
        "t2 = time.perf_counter()\n"
        "import profiler.profiles as pp, tuner.plan as tp\n"
        "fit = pp.fit_profiles; spent = []\n"
        "def timed(*a, **k):\n"
        "    s = time.perf_counter(); r = fit(*a, **k); spent.append(time.perf_counter() - s)\n"
        "    return r\n"
        "import delta.planning as dp; dp.fit_profiles = timed\n"
        "plan_testbed(tb, obs); t3 = time.perf_counter()\n"
        "print(f'imports {t1 - t0:.2f} s, parse {t2 - t1:.2f} s, fit_profiles {spent[0]:.2f} s,"
        " tuner {t3 - t2 - spent[0]:.2f} s')\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    return r.stdout.strip() or r.stderr.strip().splitlines()[-1]


def main() -> None:
    sizes = [10, 100, 1_000, 10_000] + ([] if "--quick" in sys.argv else [100_000])
    print("analytic path (in-process make_plan, hardware-prior profiles)")
    lat, cpu = {}, {}
    for n in sizes:
        lat[n], cpu[n] = in_process(n, movable=False, repeats=7 if n <= 1000 else 3)
        print(f"  n={n:>7,}  median {lat[n] * 1e3:10.2f} ms wall, {cpu[n] * 1e3:10.2f} ms CPU")
    big = [n for n in sizes if n >= 1000]
    for name, t in (("wall", lat), ("CPU", cpu)):
        slope = np.polyfit(np.log(big), np.log([t[n] for n in big]), 1)[0]
        allslope = np.polyfit(np.log(sizes), np.log([t[n] for n in sizes]), 1)[0]
        print(f"  growth exponent of {name} time (log-log slope): {slope:.2f} for n >= 1,000; "
              f"{allslope:.2f} over all sizes (n log n: ~1.1 over 1,000-100,000)")
    print("optuna NSGA-II path (half movable, 2 cloud candidates, 150 trials)")
    for n in (10, 100, 1_000):
        wall, c = in_process(n, movable=True, repeats=3)
        print(f"  n={n:>7,}  median {wall * 1e3:10.2f} ms wall, {c * 1e3:10.2f} ms CPU")
    print("whole `delta plan TB -o OBS --no-store -f json` subprocess, 1,000 endpoints x 5 "
          "observations, median of 3")
    cli(1000, False, 3)
    cli(1000, True, 3)
    spot = sorted(SPOT.glob("*.json*"))
    if spot:
        cli(1000, True, 3, prices=tuple(spot))
    else:
        print(f"  (no spot history in {SPOT}: --prices case skipped)")


if __name__ == "__main__":
    main()
