"""Endpoint adapters, each a :class:`concurrent.futures.Executor`.

- :class:`~delta.fl.executors.engine.EngineExecutor`: the local Globus Compute endpoint
  engine (the embedded default).
- :class:`~delta.fl.executors.emulated.EmulatedExecutor`: an emulated device on a
  virtual clock.
- :func:`~delta.fl.executors.globus.globus_executor`: a real Globus Compute endpoint.

Any other Executor (Parsl, Dask) plugs in the same way; an adapter with ``clock =
"virtual"`` reports durations as ``virtual_seconds`` in the task's result.
"""
