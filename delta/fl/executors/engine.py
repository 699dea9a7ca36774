"""The local Globus Compute endpoint engine as a :class:`concurrent.futures.Executor`.

Tasks are packed exactly like a real endpoint receives them — function, args and kwargs
serialised by ``ComputeSerializer`` into a messagepack ``Task`` — and executed by the
endpoint's own engine through its ``execute_task``, which unpacks, runs and packs a
``Result``: ``ProcessPoolEngine`` by default, or ``GlobusComputeEngine`` (Parsl's
HighThroughputExecutor with a local provider: an interchange and a worker pool, as on a
cluster's login node).  Workers persist, so TensorFlow is imported once per worker, not
once per task.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sys
import tempfile
import threading
import uuid
from concurrent.futures import Executor, Future
from typing import Any, Callable

from delta.fl.executors.base import TaskFailure


def _init_worker(warm: bool) -> None:
    import logging
    import os

    # execute_task logs every user exception with its traceback; the controller reports
    # failures itself, in one line.
    logging.getLogger("globus_compute_endpoint").setLevel(logging.CRITICAL)
    if warm:
        # Pay TensorFlow's import (~8 s) as the worker starts, not inside the first round.
        # Its C++ start-up banner goes straight to fd 2, past any Python logging setting:
        # mute the descriptor for the import only.
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        try:
            import keras  # noqa: F401
            import tensorflow  # noqa: F401
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(devnull)


def _last_error_line(text: str) -> str:
    """The ``SomeError: message`` line of a remote traceback."""
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    for ln in reversed(lines):
        if ln[:1].isalpha() and ":" in ln and not ln.startswith("Traceback"):
            return ln.strip()
    return lines[-1].strip() if lines else "unknown error"


#: Engines :func:`make_engine` builds by name (``delta run --engine``).
ENGINES = ("process", "parsl")


def make_engine(kind: str = "process", *, workers: int = 2, warm: bool = False) -> Any:
    """A local Globus Compute endpoint engine, not yet started.

    ``process``: ``ProcessPoolEngine`` with ``workers`` spawned processes (``warm``:
    TensorFlow imported as each starts).  ``parsl``: ``GlobusComputeEngine`` on
    127.0.0.1 with one block of ``workers`` workers; its worker pool is launched as
    ``process_worker_pool.py``, so this interpreter's ``bin`` goes on ``PATH``.
    """
    if kind == "process":
        from globus_compute_endpoint.engines import ProcessPoolEngine

        # spawn, not fork: workers must not inherit the controller's threads and locks.
        return ProcessPoolEngine(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker, initargs=(warm,),
        )
    if kind == "parsl":
        from globus_compute_endpoint.engines import GlobusComputeEngine

        bin_dir = os.path.dirname(sys.executable)
        if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
            os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
        # Unencrypted: interchange and workers talk over loopback only.
        return GlobusComputeEngine(address="127.0.0.1", max_workers_per_node=workers,
                                   encrypted=False)
    raise ValueError(f"unknown engine {kind!r} (use {' or '.join(ENGINES)})")


class EngineExecutor(Executor):
    """Run tasks on a local Globus Compute endpoint engine.

    Parameters
    ----------
    engine:
        A ``globus_compute_endpoint`` engine, not yet started, or an engine name for
        :func:`make_engine` (default: ``process``, a ``ProcessPoolEngine`` with
        ``workers`` spawned worker processes).
    workers:
        Worker processes of the default engine.
    warm:
        Import TensorFlow in each default worker as it starts.
    run_dir:
        The endpoint's run directory (default: a temporary one, removed on shutdown).
    """

    clock = "wall"

    def __init__(self, engine: Any = None, *, workers: int = 2, warm: bool = False,
                 run_dir: str | None = None):
        from globus_compute_common import messagepack
        from globus_compute_common.messagepack.message_types import Task
        from globus_compute_endpoint.engines.base import GCFuture
        from globus_compute_sdk.serialize import ComputeSerializer

        self._pack, self._unpack_msg = messagepack.pack, messagepack.unpack
        self._Task, self._GCFuture = Task, GCFuture
        self.serde = ComputeSerializer()
        self._own_dir = run_dir is None
        self.run_dir = run_dir or tempfile.mkdtemp(prefix="delta-engine-")
        if engine is None or isinstance(engine, str):
            engine = make_engine(engine or "process", workers=workers, warm=warm)
        self.engine = engine
        self.engine.start(endpoint_id=uuid.uuid4(), run_dir=self.run_dir)
        self._lock = threading.Lock()
        self._shutdown = False

    def pack(self, fn: Callable, args: tuple, kwargs: dict) -> tuple[uuid.UUID, bytes]:
        """A task as a real endpoint receives it: ``(task_id, messagepack bytes)``."""
        s = self.serde
        buffer = s.pack_buffers([s.serialize(fn), s.serialize(args), s.serialize(kwargs)])
        task_id = uuid.uuid4()
        return task_id, self._pack(self._Task(task_id=task_id, container_id=None,
                                              task_buffer=buffer))

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> Future:
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot submit after shutdown")
        task_id, packed = self.pack(fn, args, kwargs)
        out: Future = Future()
        out.set_running_or_notify_cancel()
        gc_future = self._GCFuture(task_id)
        gc_future.add_done_callback(lambda f: self._deliver(f, out))
        self.engine.submit(gc_future, packed, resource_specification={})
        return out

    def _deliver(self, gc_future: Future, out: Future) -> None:
        try:
            result = self._unpack_msg(gc_future.result())
            if result.is_error:
                out.set_exception(TaskFailure(
                    f"task raised at the endpoint: {_last_error_line(str(result.data))}"))
            else:
                out.set_result(self.serde.deserialize(result.data))
        except Exception as exc:  # a broken worker or an unreadable result
            out.set_exception(TaskFailure(f"endpoint engine failed: {exc!r}"))

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            if self._shutdown:
                return
            self._shutdown = True
        self.engine.shutdown(block=wait)
        if self._own_dir:
            shutil.rmtree(self.run_dir, ignore_errors=True)
