"""fit_profiles latency against the number of endpoints: ``python bench/fit_scaling.py``.

Prints medians (fresh interpreter per measurement, imports excluded) for

- fleets where every endpoint has five runs and its own hardware (100 to 10,000);
- fleets of endpoints without runs, all with distinct hardware (1,000 to 100,000);
- the whole ``delta plan`` command for 1,000 endpoints with five observations each;

and the growth exponent (log-log slope) of each sweep.  ``--against PATH`` runs every
measurement also on the source tree at PATH (e.g. a checkout of main), interleaved, and
prints the ratio.  ``--quick`` stops the sweeps one size earlier.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.plan_scaling import cli_inputs  # noqa: E402

MEASURE = """
import sys, time
import numpy as np
from delta.observations import Observation
from profiler import HardwareSpec, fit_profiles
n, runs = int(sys.argv[1]), sys.argv[2] == "1"
rng = np.random.default_rng(1)
hw = {f"e{i}": HardwareSpec(cores=int(rng.integers(1, 17)),
                            clock_ghz=float(rng.uniform(0.8, 3.6))) for i in range(n)}
obs = []
for i in range(n if runs else 0):
    o, k = rng.uniform(0.2, 2), 10 ** rng.uniform(-5, -2)
    obs += [Observation(endpoint=f"e{i}", samples=s, epochs=e, batch_size=32,
                        seconds=o + k * s * e * rng.lognormal(0, 0.03))
            for s, e in [(1000, 1), (500, 4), (1000, 3), (200, 10), (800, 2)]]
t = time.perf_counter(); fit_profiles(obs, hw); print(time.perf_counter() - t)
"""


def in_tree(tree: Path, args: list[str]) -> float:
    """Seconds one measurement takes with ``tree``'s packages first on the path."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, *args], env=env, cwd=tree, check=True,
                         capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1])


def command(d: Path) -> list[str]:
    """The ``delta plan`` command, timed from start to exit (imports included)."""
    return ["-c", "import sys, time; t = time.perf_counter(); sys.argv = ['delta', 'plan', "
            f"'{d}/tb.yaml', '-o', '{d}/obs.csv', '--no-store', '-f', 'json']\n"
            "from delta.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(); print(time.perf_counter() - t)"]


def sweep(label: str, sizes: list[int], args, trees: list[Path], repeats: int) -> None:
    print(label)
    lat: dict[Path, list[float]] = {t: [] for t in trees}
    for n in sizes:
        runs: dict[Path, list[float]] = {t: [] for t in trees}
        for _ in range(repeats):
            for t in trees:  # interleaved: both trees see the same machine state
                runs[t].append(in_tree(t, args(n)))
        med = {t: statistics.median(v) for t, v in runs.items()}
        for t in trees:
            lat[t].append(med[t])
        cells = "   ".join(f"{t.name}: {med[t]:8.3f} s" for t in trees)
        ratio = (f"   {trees[1].name} / {trees[0].name}: {med[trees[1]] / med[trees[0]]:5.1f}x"
                 if len(trees) > 1 else "")
        print(f"  n={n:>7,}  {cells}{ratio}")
    if len(sizes) > 1:
        for t in trees:
            slope = np.polyfit(np.log(sizes), np.log(lat[t]), 1)[0]
            print(f"  growth exponent ({t.name}): {slope:.2f}")


def main() -> None:
    quick = "--quick" in sys.argv
    trees = [ROOT]
    if "--against" in sys.argv:
        trees.append(Path(sys.argv[sys.argv.index("--against") + 1]).resolve())
    observed = [100, 1_000] + ([] if quick else [10_000])
    cold = [1_000, 10_000] + ([] if quick else [100_000])
    sweep("fit_profiles, five runs per endpoint, distinct hardware", observed,
          lambda n: ["-c", MEASURE, str(n), "1"], trees, 3)
    sweep("fit_profiles, endpoints without runs, distinct hardware", cold,
          lambda n: ["-c", MEASURE, str(n), "0"], trees, 3)
    with tempfile.TemporaryDirectory() as d:
        cli_inputs(Path(d), 1000, cloud=False)
        sweep("whole `delta plan` command, 1,000 endpoints x 5 observations, nothing to place",
              [1000], lambda n: command(Path(d)), trees, 3)


if __name__ == "__main__":
    main()
