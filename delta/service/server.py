"""Assemble the gRPC server: the Delta servicer, health, reflection, auth, TLS, limits."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from delta._proto import delta_pb2, delta_pb2_grpc
from delta.service.servicer import DeltaServicer

SERVICE_NAME = delta_pb2.DESCRIPTOR.services_by_name["Delta"].full_name
DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


class BearerTokenInterceptor(grpc.ServerInterceptor):
    """Every call needs metadata ``authorization: Bearer <token>``, else UNAUTHENTICATED.

    Digests are compared with :func:`hmac.compare_digest`, so neither the token's content
    nor its length leaks through timing.
    """

    def __init__(self, token: str):
        self._expected = _digest(f"Bearer {token}")

    def intercept_service(self, continuation: Callable[[Any], Any],
                          details: grpc.HandlerCallDetails) -> Any:
        handler = continuation(details)
        if handler is None:
            return None
        for key, value in details.invocation_metadata or ():
            if key == "authorization" and isinstance(value, str) and hmac.compare_digest(
                    _digest(value), self._expected):
                return handler
        return _deny(handler)


def _deny(handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
    def abort(request: Any, context: grpc.ServicerContext) -> Any:
        context.abort(grpc.StatusCode.UNAUTHENTICATED,
                      "missing or wrong 'authorization: Bearer <token>' metadata")

    # Same streaming shape as the real method, so the deny works for every kind of RPC.
    if handler.request_streaming and handler.response_streaming:
        return grpc.stream_stream_rpc_method_handler(abort)
    if handler.request_streaming:
        return grpc.stream_unary_rpc_method_handler(abort)
    if handler.response_streaming:
        return grpc.unary_stream_rpc_method_handler(abort)
    return grpc.unary_unary_rpc_method_handler(abort)


@dataclass
class Running:
    """A started server: the port it bound and what drains it."""

    server: grpc.Server
    port: int
    servicer: DeltaServicer
    health: health.HealthServicer

    def stop(self, grace: float | None) -> None:
        """Refuse new calls, let in-flight calls finish (up to ``grace`` s), close the store."""
        self.health.enter_graceful_shutdown()
        self.server.stop(grace).wait()
        self.servicer.close()


def start_server(servicer: DeltaServicer, *, host: str = "127.0.0.1", port: int = 0,
                 token: str | None = None, tls: tuple[bytes, bytes] | None = None,
                 max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
                 workers: int = 16) -> Running:
    """Start serving ``servicer`` with health checking and reflection.

    Parameters
    ----------
    port:
        0 picks a free port; :attr:`Running.port` tells which.
    token:
        When set, every call (health and reflection included) needs the bearer token.
    tls:
        ``(certificate_chain_pem, private_key_pem)`` for TLS; plaintext when ``None``.
    max_message_bytes:
        Largest request or reply; larger ones get RESOURCE_EXHAUSTED from gRPC itself.
    """
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="delta-rpc"),
        interceptors=[BearerTokenInterceptor(token)] if token else [],
        options=[("grpc.max_receive_message_length", max_message_bytes),
                 ("grpc.max_send_message_length", max_message_bytes),
                 ("grpc.so_reuseport", 0)],
    )
    delta_pb2_grpc.add_DeltaServicer_to_server(servicer, server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (SERVICE_NAME, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
         reflection.SERVICE_NAME), server)
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if tls is None:
        bound = server.add_insecure_port(address)
    else:
        cert, key = tls
        bound = server.add_secure_port(address, grpc.ssl_server_credentials([(key, cert)]))
    server.start()
    for name in ("", SERVICE_NAME):
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    return Running(server, bound, servicer, health_servicer)
