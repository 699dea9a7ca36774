"""What every endpoint adapter shares: the task failure an adapter reports.

Adapters are :class:`concurrent.futures.Executor` s (Globus Compute's own ``Executor``
already is one), so the round controller dispatches to a Globus endpoint, the local
endpoint engine, an emulated device, Parsl or Dask the same way.  An adapter whose
durations are not wall-clock time (the emulator) adds ``virtual_seconds`` to the task's
result dict.
"""

from __future__ import annotations

from delta.errors import DeltaError


class TaskFailure(DeltaError):
    """A task did not return a result: the endpoint failed, was preempted, or raised.

    Parameters
    ----------
    outcome:
        ``failed`` or ``preempted``.
    seconds:
        When the failure was seen, on the adapter's clock (``None``: now, wall clock).
    """

    def __init__(self, message: str, *, outcome: str = "failed", seconds: float | None = None):
        super().__init__(message)
        self.outcome = outcome
        self.seconds = seconds
