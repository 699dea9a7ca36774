"""Real servers on 127.0.0.1 for the gRPC tests (a free port each)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc
import yaml

from delta._proto import delta_pb2_grpc
from delta.service.server import Running, start_server
from delta.service.servicer import DeltaServicer
from tests.conftest import endpoint_yaml

TOKEN = "correct horse battery staple"


def svc_testbed(n: int = 10) -> str:
    return yaml.safe_dump({"name": "svc", "round": {"samples": 500, "epochs": 10},
                           "endpoints": [endpoint_yaml(i) for i in range(n)]})


@contextmanager
def serving(db: Path, **kwargs) -> Iterator[Running]:
    servicer_kwargs = {k: kwargs.pop(k) for k in ("forecaster", "designer") if k in kwargs}
    running = start_server(DeltaServicer(str(db), **servicer_kwargs), port=0, **kwargs)
    try:
        yield running
    finally:
        running.stop(None)


@contextmanager
def stub(port: int, channel: grpc.Channel | None = None) -> Iterator[delta_pb2_grpc.DeltaStub]:
    ch = channel or grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield delta_pb2_grpc.DeltaStub(ch)
    finally:
        ch.close()


def self_signed_cert() -> tuple[bytes, bytes]:
    """A throwaway certificate for localhost / 127.0.0.1, and its key (PEM)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return (cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))
