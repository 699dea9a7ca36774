"""``delta serve``: the gRPC service FL controllers call before and after each round."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from delta.cli.options import DbOption
from delta.errors import ConfigError, DeltaError


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {what}: {exc.strerror or exc}", source=str(path)) from None


def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535,
                                      help="Port to listen on; 0 picks a free one.")] = 50051,
    tls_cert: Annotated[Path | None, typer.Option(help="PEM certificate chain; with --tls-key "
                                                  "the service speaks TLS.",
                                                  show_default=False)] = None,
    tls_key: Annotated[Path | None, typer.Option(help="PEM private key of --tls-cert.",
                                                 show_default=False)] = None,
    token_file: Annotated[Path | None, typer.Option(
        help="File holding a bearer token; every call must then send metadata "
             "'authorization: Bearer <token>'.", show_default=False)] = None,
    db: DbOption = None,
    advisor: Annotated[Path | None, typer.Option(
        "--advisor", envvar="DELTA_SPOT_ADVISOR", show_default=False,
        help="Spot advisor JSON (.gz too): ForecastCost then reports interruption risk.")] = None,
    max_message_mb: Annotated[float, typer.Option(min=0.001, help="Largest request or reply "
                                                  "in MiB.")] = 16.0,
    workers: Annotated[int, typer.Option(min=1, help="Concurrent calls served.")] = 16,
    grace: Annotated[float, typer.Option(min=0, help="Seconds SIGTERM waits for in-flight "
                                         "calls before it cuts them.")] = 30.0,
) -> None:
    """Serve the delta.v1.Delta gRPC API (proto/delta/v1/delta.proto).

    Plan, ReportObservations, PredictRuntime, GetProfile, ForecastCost and
    SuggestExperiments, plus grpc.health.v1 health checking and server reflection.
    Reported observations are committed to the store before the call returns. SIGTERM
    or Ctrl-C stops accepting calls and lets the ones in flight finish.
    """
    if (tls_cert is None) != (tls_key is None):
        raise ConfigError("--tls-cert and --tls-key go together", field="--tls-key"
                          if tls_key is None else "--tls-cert")
    tls = (_read(tls_cert, "certificate"), _read(tls_key, "key")) if tls_cert and tls_key else None
    token = None
    if token_file is not None:
        token = _read(token_file, "token file").decode(errors="replace").strip()
        if not token:
            raise ConfigError("token file is empty", source=str(token_file))

    # gRPC's C core prints its own multi-line errors (e.g. on a port in use) unless told
    # not to; ours are one line. GRPC_VERBOSITY=error brings them back.
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    from delta.service.server import start_server
    from delta.service.servicer import DeltaServicer
    from delta.store import default_db_path

    from delta.pricing import Advisor
    from delta.pricing.history import read_json_file
    from delta.service.design import ProfilerDesigner
    from delta.service.forecast import StoreForecaster

    db_path = db or default_db_path()
    adv = Advisor.from_feed(read_json_file(advisor), str(advisor)) if advisor else None
    servicer = DeltaServicer(str(db_path), forecaster=StoreForecaster(db_path, adv),
                             designer=ProfilerDesigner())
    try:
        running = start_server(servicer, host=host, port=port, token=token, tls=tls,
                               max_message_bytes=int(max_message_mb * 1024 * 1024),
                               workers=workers)
    except RuntimeError as exc:
        servicer.close()
        raise DeltaError(f"cannot listen: {exc}", source=f"{host}:{port}") from None

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    typer.echo(f"delta serve: listening on {host}:{running.port} "
               f"({'TLS' if tls else 'plaintext'}, {'token' if token else 'no auth'}), "
               f"store {db_path}", err=True)
    while not stop.wait(3600):
        pass
    typer.echo("delta serve: draining in-flight calls", err=True)
    running.stop(grace)
    typer.echo("delta serve: stopped", err=True)
