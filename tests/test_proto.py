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


def test_structured_testbed_covers_every_config_field():
    """Every testbed field a file may set can be sent as a structured message too."""
    import typing

    from pydantic import BaseModel

    from delta import config
    from delta._proto import delta_pb2 as pb

    def model_of(annotation):
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return annotation
        for arg in typing.get_args(annotation):
            inner = model_of(arg)
            if inner is not None:
                return inner
        return None

    def check(model, message, path):
        proto_fields = set(message.DESCRIPTOR.fields_by_name)
        for name, field in model.model_fields.items():
            assert name in proto_fields, f"{path}.{name} is missing from {message.DESCRIPTOR.name}"
            sub = model_of(field.annotation)
            if sub is not None:
                check(sub, getattr(pb, message.DESCRIPTOR.fields_by_name[name].message_type.name),
                      f"{path}.{name}")

    check(config.Testbed, pb.Testbed, "testbed")
