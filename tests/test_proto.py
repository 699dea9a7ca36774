"""The generated package matches the .proto, and stays behind the adapter modules."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

GENERATED = ROOT / "delta" / "_proto"
#: The only modules allowed to import the generated code (DESIGN: one adapter).
ADAPTERS = {"delta/client.py", "delta/service/convert.py", "delta/service/servicer.py",
            "delta/service/server.py"}


def test_generated_code_is_fresh(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "proto" / "generate.py"), str(tmp_path)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    fresh = sorted(p.name for p in tmp_path.iterdir() if p.is_file())
    committed = sorted(p.name for p in GENERATED.iterdir() if p.is_file())
    assert fresh == committed, "run `make proto`"
    for name in fresh:
        assert (tmp_path / name).read_text() == (GENERATED / name).read_text(), (
            f"delta/_proto/{name} is stale: run `make proto`")


def test_only_adapters_import_generated_code():
    importers = {
        str(p.relative_to(ROOT))
        for d in ("delta", "profiler", "tuner", "bench", "examples")
        for p in (ROOT / d).rglob("*.py")
        if "_proto" not in p.parts and "delta._proto" in p.read_text()
    }
    assert importers <= ADAPTERS, importers - ADAPTERS
