from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _isolated_store(tmp_path, monkeypatch):
    """Every test gets its own store; nothing touches the user's data directory."""
    monkeypatch.setenv("DELTA_DB", str(tmp_path / "delta.sqlite3"))


@pytest.fixture
def shared_data() -> Path:
    """../shared/data; fails loudly in CI (CI=true) when it is missing, skips elsewhere."""
    if not SHARED_DATA.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"shared data missing at {SHARED_DATA}")
        pytest.skip("shared data not present")
    return SHARED_DATA


#: Two laws that differ in shape (coefficients of the composite model with work, batch and
#: model size): the larger model costs "steep" a build and per-step time, "flat" nothing.
#: They are what the first bench grid fitted for its one- and two-thread endpoints, whose
#: model sizes each ran in their own worker processes; measured with both sizes in every
#: process the two shapes agree (``bench/profiler_grid.py``), but endpoints' shapes can
#: differ this way (a GPU beside a CPU), and a fleet's prior must not hide it.
TWO_SHAPES = {"flat": (0.169, 0.0, 0.0427, 0.00205, 0.0, 1e-5, 0.0),
              "steep": (0.157, 0.368, 0.0457, 0.00109, 0.0151, 0.0, 0.00027)}


@pytest.fixture
def two_shapes():
    """``make(noise=0.0, seed=0) -> (runs, hardware)``: the bench grid's configurations
    (samples x epochs x batch size x two model sizes) on the :data:`TWO_SHAPES` endpoints,
    durations from their laws times log-normal noise of spread ``noise``."""
    import itertools

    import numpy as np

    from bench.profiler_grid import BATCH, EPOCHS, SAMPLES
    from delta.observations import Observation
    from profiler import HardwareSpec
    from profiler.composite import CompositeModel

    # The bench's two model sizes (``MODELS``) have 2,410 and 85,002 parameters.
    configs = list(itertools.product(SAMPLES, EPOCHS, BATCH, (2410, 85002)))
    basis = CompositeModel(variables=("work", "batch", "model_size")).basis(
        np.array([[s, e, b, 1, mp, 0] for s, e, b, mp in configs], dtype=float))
    hardware = {"flat": HardwareSpec(cores=2, clock_ghz=2.0, memory_gb=4.0),
                "steep": HardwareSpec(cores=1, clock_ghz=2.0, memory_gb=4.0)}

    def make(noise: float = 0.0, seed: int = 0):
        rng = np.random.default_rng(seed)
        runs = [Observation(endpoint=ep, seconds=float(t * rng.lognormal(0.0, noise)),
                            samples=s, epochs=e, batch_size=b, threads=1, model_params=mp)
                for ep, coef in TWO_SHAPES.items()
                for (s, e, b, mp), t in zip(configs, basis @ np.array(coef))]
        return runs, hardware

    return make


def run_delta(*args: str, env: dict | None = None, cwd: Path | None = None):
    """Run the real ``delta`` console script; returns the CompletedProcess."""
    exe = Path(sys.executable).parent / "delta"
    return subprocess.run([str(exe), *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, cwd=cwd or ROOT,
                          stdin=subprocess.DEVNULL, timeout=120)


def endpoint_yaml(i: int, **over) -> dict:
    ep = {"id": f"ep-{i}", "hardware": {"cores": 4, "clock_ghz": 2.0, "memory_gb": 4.0},
          "data": {"samples": 500, "bytes": 100_000}}
    ep.update(over)
    return ep


def cli(capsys, *args: str) -> tuple[int, str, str]:
    """Run ``delta`` in-process; returns (exit code, stdout, stderr)."""
    from delta.cli import main

    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    out = capsys.readouterr()
    return code, out.out, out.err
