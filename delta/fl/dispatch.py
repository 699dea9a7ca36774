"""A testbed's endpoints as executors, around one shared local endpoint engine."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Executor

from delta.config import Testbed
from delta.fl.executors.emulated import EmulatedExecutor
from delta.fl.executors.engine import EngineExecutor


class Dispatch:
    """One executor per endpoint of ``testbed``.

    ``local`` endpoints and every emulated device run on the same local Globus Compute
    engine (``workers`` processes, TensorFlow imported once per worker): ``engine``, or
    one built by name (``process`` or ``parsl``, see
    :func:`~delta.fl.executors.engine.make_engine`); ``globus``
    endpoints get the SDK's Executor.  ``overrides`` plugs in any other Executor (Parsl,
    Dask) by endpoint id.

    The engine also evaluates the global model, so TensorFlow never loads in the
    controller.
    """

    def __init__(self, testbed: Testbed, *, seed: int = 0, workers: int = 2,
                 overrides: Mapping[str, Executor] | None = None,
                 engine: EngineExecutor | str | None = None):
        overrides = dict(overrides or {})
        self._own_engine = not isinstance(engine, EngineExecutor)
        self.engine = (engine if isinstance(engine, EngineExecutor)
                       else EngineExecutor(engine, workers=workers, warm=True))
        self._owned: list[Executor] = []
        self.executors: dict[str, Executor] = {}
        try:
            for i, e in enumerate(testbed.endpoints):
                x = e.executor
                if e.id in overrides:
                    self.executors[e.id] = overrides[e.id]
                elif x.kind == "local":
                    self.executors[e.id] = self.engine
                elif x.kind == "emulated":
                    self.executors[e.id] = EmulatedExecutor(
                        self.engine, speed=x.speed,
                        bandwidth_mbps=x.bandwidth_mbps or e.network.bandwidth_mbps,
                        latency_ms=x.latency_ms, fail_rate=x.fail_rate,
                        preempt_rate=x.preempt_rate, seed=seed, name=e.id)
                else:
                    from delta.fl.executors.globus import globus_executor

                    ex = globus_executor(str(x.endpoint_id),
                                         field=f"endpoints[{i}].executor.endpoint_id")
                    self._owned.append(ex)
                    self.executors[e.id] = ex
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        for ex in self._owned:
            ex.shutdown(wait=False, cancel_futures=True)
        if self._own_engine:
            self.engine.shutdown(wait=True)

    def __enter__(self) -> Dispatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
