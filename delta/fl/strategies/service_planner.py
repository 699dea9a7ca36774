"""Planning through a shared DELTA service (``delta run --server``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from delta.client import DeltaClient
from delta.config import Testbed
from delta.observations import Observation


class ServicePlanner:
    """Reports this run's finished tasks to a DELTA service, then asks it for the plan.

    The service plans from everything reported to it (by this run and by other
    controllers); observations already in the local store before the run started are
    this machine's history, not this run's, and are not sent.
    """

    def __init__(self, client: DeltaClient):
        self.client = client
        self._sent: int | None = None

    def __call__(self, testbed: Testbed, observations: Sequence[Observation]) -> dict[str, Any]:
        if self._sent is None:
            self._sent = len(observations)
        new = list(observations[self._sent:])
        if new:
            self.client.report(new)
        self._sent = len(observations)
        return self.client.plan(yaml.safe_dump(testbed.model_dump(mode="json")))
