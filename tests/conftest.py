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


@pytest.fixture
def bench_grid():
    """The bench's real runs (``bench/data/profiler_grid.csv``) without its repeats, and the
    hardware of its two endpoints as the bench describes them."""
    from delta.observations import read_observations
    from profiler import HardwareSpec

    grid = [o for o in read_observations(ROOT / "bench" / "data" / "profiler_grid.csv")
            if not o.extra.get("repeat")]
    return grid, {ep: HardwareSpec(cores=int(ep[-1]), clock_ghz=2.0, memory_gb=4.0)
                  for ep in ("local-t1", "local-t2")}


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
