"""Globus Compute endpoints through the SDK's own ``Executor`` (real deployments).

``globus_compute_sdk.Executor`` is a :class:`concurrent.futures.Executor`; it needs a
Globus login and the cloud service, so it is imported only when a testbed names a
``globus`` endpoint, and a missing login is one clear error instead of a prompt.
"""

from __future__ import annotations

import contextlib
import io
import sys
from concurrent.futures import Executor

from delta.errors import ConfigError


def globus_executor(endpoint_id: str, *, field: str = "executor.endpoint_id") -> Executor:
    """A Globus Compute ``Executor`` for ``endpoint_id``.

    Raises
    ------
    ConfigError
        When the SDK cannot log in (no stored tokens and no interactive terminal) or
        cannot reach the service.
    """
    try:
        from globus_compute_sdk import Executor as ComputeExecutor
    except ImportError as exc:  # pragma: no cover - it is a dependency
        raise ConfigError(f"globus-compute-sdk is not installed: {exc}", field=field) from None
    # The SDK's login flow prints its prompt to stdout: keep stdout clean for --format
    # json; show the prompt (on stderr) only to someone at a terminal who can answer it.
    sink = sys.stderr if sys.stdin is not None and sys.stdin.isatty() else io.StringIO()
    try:
        with contextlib.redirect_stdout(sink):
            ex = ComputeExecutor(endpoint_id=endpoint_id)
    except (EOFError, KeyboardInterrupt):
        raise ConfigError("cannot log in to Globus Compute without a terminal; log in once "
                          "interactively (or set GLOBUS_COMPUTE_CLIENT_ID and "
                          "GLOBUS_COMPUTE_CLIENT_SECRET)", field=field) from None
    except Exception as exc:
        raise ConfigError(f"cannot reach Globus Compute endpoint {endpoint_id}: "
                          f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
                          field=field) from None
    return ex
