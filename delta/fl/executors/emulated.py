"""Emulated devices: real training here, the duration a slower device would need.

The real task runs on an inner executor (the local endpoint engine); its measured
compute is scaled by the device's hidden ``speed`` and the weights' bytes pay the
device's link, giving the task's duration on a virtual clock.  Failures and preemptions
are injected from a seeded generator, so a run is reproducible.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Mapping
from concurrent.futures import Executor, Future, wait
from typing import Any, Callable

import numpy as np

from delta.fl.executors.base import TaskFailure

#: Transfers per task: the global weights down, the update back up.
TRANSFERS = 2


def virtual_seconds(compute_s: float, speed: float, bytes_moved: int, bandwidth_mbps: float,
                    latency_ms: float, transfers: int = TRANSFERS) -> float:
    """``compute * speed + bytes / bandwidth + transfers * latency``, in seconds.

    ``bandwidth_mbps`` is in megabits per second (10^6 bits).
    """
    return (compute_s * speed + bytes_moved * 8.0 / (bandwidth_mbps * 1e6)
            + transfers * latency_ms / 1e3)


def move_seconds(nbytes: int, src: EmulatedExecutor, dst: EmulatedExecutor) -> float:
    """A one-off data move between two emulated devices: both latencies + bytes over the
    slower link (the hidden truth; the planner predicts it from the declared links)."""
    return ((src.latency_ms + dst.latency_ms) / 1e3
            + nbytes * 8.0 / (min(src.bandwidth_mbps, dst.bandwidth_mbps) * 1e6))


def array_bytes(obj: Any) -> int:
    """Bytes of every numpy array inside nested lists, tuples and dicts."""
    if isinstance(obj, np.ndarray):
        return int(obj.nbytes)
    if isinstance(obj, Mapping):
        return sum(array_bytes(v) for v in obj.values())
    if isinstance(obj, list | tuple):
        return sum(array_bytes(v) for v in obj)
    return 0


def measured_compute(result: Any, wall_s: float) -> float:
    """The compute a task reports, else its wall time.

    The task's CPU seconds when it reports them (``timings.cpu``): on a shared host, wall
    time swings with everyone else's load, CPU time much less, and the emulated device
    must not get slower because a neighbour is busy.  Otherwise load + build + train wall
    seconds.  Imports are left out: a fresh worker pays them once, a warm device never.
    """
    timings = result.get("timings") if isinstance(result, Mapping) else None
    if timings:
        if "cpu" in timings:
            return float(timings["cpu"])
        return float(sum(timings.get(k, 0.0) for k in ("load", "build", "train")))
    return wall_s


def warm_up(engine: Executor, workers: int, fn: Callable, /, *args: Any, **kwargs: Any) -> None:
    """Run ``fn(*args, **kwargs)`` twice per worker of the engine the emulated devices
    share, before any device's first task.

    A worker's first training task also pays one-off costs (the data source's first load,
    the framework's set-up: about 0.3 s of CPU here) that the emulator would multiply by
    the slowdown of whichever device happened to run first: an artefact of the shared
    engine, not of that device, which round 1's measurements would then teach the
    planner.  Failures are left to the run itself to report.
    """
    futures = [engine.submit(fn, *args, **kwargs) for _ in range(2 * workers)]
    wait(futures)


class EmulatedExecutor(Executor):
    """An emulated device in front of a real executor.

    Parameters
    ----------
    inner:
        Where the real task runs (shared by all emulated devices).
    speed:
        How many times slower than this machine the device computes (hidden truth).
    bandwidth_mbps, latency_ms:
        The device's real link (hidden truth).
    fail_rate:
        Probability that a task fails outright (endpoint unreachable): seen after one
        round trip, no result.
    preempt_rate:
        Probability that a task is preempted partway: the work is lost at a uniformly
        drawn point of its duration.
    seed:
        Seeds the injected failures, together with ``name``.
    """

    clock = "virtual"

    def __init__(self, inner: Executor, *, speed: float = 1.0, bandwidth_mbps: float = 100.0,
                 latency_ms: float = 0.0, fail_rate: float = 0.0, preempt_rate: float = 0.0,
                 seed: int = 0, name: str = ""):
        if not speed > 0 or not bandwidth_mbps > 0 or latency_ms < 0:
            raise ValueError("speed and bandwidth must be positive, latency non-negative")
        self.inner = inner
        self.speed, self.bandwidth_mbps, self.latency_ms = speed, bandwidth_mbps, latency_ms
        self.fail_rate, self.preempt_rate = fail_rate, preempt_rate
        self._rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
        self._lock = threading.Lock()

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> Future:
        with self._lock:
            fail, preempt, where = self._rng.random(3)
        out: Future = Future()
        out.set_running_or_notify_cancel()
        if fail < self.fail_rate:
            out.set_exception(TaskFailure(
                "injected failure: endpoint unreachable", outcome="failed",
                seconds=TRANSFERS * self.latency_ms / 1e3))
            return out
        bytes_in = array_bytes((args, kwargs))
        start = time.perf_counter()

        def done(f: Future) -> None:
            try:
                result = f.result()
            except BaseException as exc:
                out.set_exception(exc)
                return
            moved = bytes_in + array_bytes(result)
            compute = measured_compute(result, time.perf_counter() - start)
            seconds = virtual_seconds(compute, self.speed, moved, self.bandwidth_mbps,
                                      self.latency_ms)
            if preempt < self.preempt_rate:
                out.set_exception(TaskFailure("injected preemption: work lost",
                                              outcome="preempted", seconds=where * seconds))
            elif isinstance(result, dict):
                out.set_result({**result, "virtual_seconds": seconds, "bytes_moved": moved,
                                "compute_seconds": compute * self.speed})
            else:
                out.set_result(result)

        self.inner.submit(fn, *args, **kwargs).add_done_callback(done)
        return out

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """The inner executor is shared; its owner shuts it down."""
