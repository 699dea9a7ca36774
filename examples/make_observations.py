"""Regenerate examples/flox-observations.csv: emulated runs of the FLoX testbed.

Each endpoint's training time follows ``overhead + k * samples * epochs`` where ``k`` is
an assumed rate for a small CNN on this machine times the endpoint's hidden
emulator slow-down, with 5% log-normal noise.  desktop-3 is left unobserved on purpose so
the demo shows a plan from the hardware prior.  Once ``delta run`` exists, real emulated
runs replace this file.

    uv run python examples/make_observations.py > examples/flox-observations.csv
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
import yaml

K_HERE = 1.0e-3   # seconds per sample-epoch of a small CNN on this machine
OVERHEAD_HERE = 0.4  # seconds of start-up, data load and model build on this machine


def main() -> None:
    tb = yaml.safe_load((Path(__file__).parent / "flox-testbed.yaml").read_text())
    rng = np.random.default_rng(7)
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["endpoint", "task", "samples", "epochs", "batch_size", "seconds", "ok"])
    for ep in tb["endpoints"]:
        if ep["id"] == "desktop-3":
            continue
        speed = ep["executor"]["speed"]
        for samples, epochs in [(140, 1), (140, 5), (70, 10), (140, 10), (100, 3)]:
            t = (OVERHEAD_HERE + K_HERE * samples * epochs) * speed
            w.writerow([ep["id"], "train", samples, epochs, 32,
                        round(t * float(rng.lognormal(0, 0.05)), 4), 1])


if __name__ == "__main__":
    main()
